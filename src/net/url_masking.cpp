#include "net/url_masking.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace streamrelay::net {
namespace {

constexpr std::string_view kMask = "***";

// Query names whose values are settings, not secrets (YouTube's backup flag, SRT and RTSP modes).
constexpr std::array<std::string_view, 7> kHarmlessQueryNames = {
    "backup", "vhost", "mode", "latency", "transport", "udp", "tcp"};

// Secrets shorter than this are not searched for in free text: they would match ordinary words.
constexpr size_t kMinRedactedLength = 4;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool is_harmless_name(std::string_view raw_name) {
  std::string name = percent_decoded(raw_name);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(kHarmlessQueryNames.begin(), kHarmlessQueryNames.end(), name) !=
         kHarmlessQueryNames.end();
}

// A stream name with its first few characters kept: at most 4, and at most a third of it.
std::string masked_stream_name(std::string_view name) {
  size_t kept = std::min<size_t>(4, name.size() / 3);
  return std::string(name.substr(0, kept)) + std::string(kMask);
}

// The parts of a URL that masking works on.
struct UrlParts {
  std::string_view scheme;     // without "://"; empty when the text has none
  std::string_view authority;  // user info included
  std::string_view rest;       // path, query and fragment
};

UrlParts split(std::string_view url) {
  UrlParts parts;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    parts.rest = url;
    return parts;
  }
  parts.scheme = url.substr(0, scheme_end);
  size_t start = scheme_end + 3;
  size_t end = url.find_first_of("/?#", start);
  if (end == std::string_view::npos) end = url.size();
  parts.authority = url.substr(start, end - start);
  parts.rest = url.substr(end);
  return parts;
}

// Where the stream name starts in an RTMP URL's path (query included), split as libavformat
// splits it: the app is the first segment, or the first two when a third follows ("app/inst"),
// unless the second holds a "prefix:" form; npos when the URL names no stream.
size_t rtmp_stream_start(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::string_view::npos;
  size_t first = path.find('/', 1);
  if (first == std::string_view::npos) return std::string_view::npos;
  size_t second = path.find('/', first + 1);
  size_t colon = path.find(':', first + 1);
  if (second == std::string_view::npos || (colon != std::string_view::npos && colon < second)) {
    return first + 1;
  }
  return second + 1;
}

bool is_rtmp(std::string_view scheme) {
  std::string lower(scheme);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.rfind("rtmp", 0) == 0;  // rtmp, rtmps, rtmpt, rtmpe...
}

// Masks the parts of one URL and remembers what it hid (for redacting free text).
class Masker {
 public:
  std::string authority(std::string_view text) {
    size_t at = text.rfind('@');
    if (at == std::string_view::npos) return std::string(text);
    std::string_view user_info = text.substr(0, at);
    note(user_info);
    size_t colon = user_info.find(':');
    if (colon != std::string_view::npos) note(user_info.substr(colon + 1));
    return std::string(kMask) + std::string(text.substr(at));
  }

  // "a=1&b=2": values masked unless their name is harmless; a bare item is a value too.
  std::string query(std::string_view text) {
    std::string out;
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('&', start);
      if (end == std::string_view::npos) end = text.size();
      if (start > 0) out += '&';
      out += pair(text.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }

  // Path and query; for RTMP the stream name is masked too.
  std::string rest(std::string_view text, bool is_rtmp_url) {
    size_t stream_start = is_rtmp_url ? rtmp_stream_start(text) : std::string_view::npos;
    if (stream_start == std::string_view::npos) return path_and_query(text);
    std::string_view stream = text.substr(stream_start);
    size_t args = stream.find('?');
    std::string_view name = stream.substr(0, args);
    note(name);
    std::string out = path_and_query(text.substr(0, stream_start)) + masked_stream_name(name);
    if (args != std::string_view::npos) out += "?" + query(stream.substr(args + 1));
    return out;
  }

  const std::vector<std::string>& secrets() const { return secrets_; }

 private:
  std::string path_and_query(std::string_view text) {
    size_t question = text.find('?');
    if (question == std::string_view::npos) return std::string(text);
    return std::string(text.substr(0, question + 1)) + query(text.substr(question + 1));
  }

  std::string pair(std::string_view item) {
    if (item.empty()) return "";
    size_t eq = item.find('=');
    std::string_view name = item.substr(0, eq);
    if (eq == std::string_view::npos) {
      if (is_harmless_name(name)) return std::string(item);
      note(item);
      return std::string(kMask);
    }
    std::string_view value = item.substr(eq + 1);
    if (is_harmless_name(name) || value.empty()) return std::string(item);
    note(value);
    return std::string(name) + "=" + std::string(kMask);
  }

  void note(std::string_view secret) {
    if (secret.size() < kMinRedactedLength) return;
    secrets_.emplace_back(secret);
    std::string decoded = percent_decoded(secret);
    if (decoded != secret) secrets_.push_back(decoded);
  }

  std::vector<std::string> secrets_;
};

std::string masked(std::string_view url, Masker& masker) {
  UrlParts parts = split(url);
  if (parts.scheme.empty()) return masker.rest(parts.rest, false);
  return std::string(parts.scheme) + "://" + masker.authority(parts.authority) +
         masker.rest(parts.rest, is_rtmp(parts.scheme));
}

void replace_all(std::string& text, const std::string& from, std::string_view to) {
  if (from.empty()) return;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

bool ends_url(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '<' ||
         c == '>';
}

}  // namespace

std::string mask_url(std::string_view url) {
  Masker masker;
  return masked(url, masker);
}

std::string redact_url_secrets(std::string text, std::string_view url) {
  Masker masker;
  masked(url, masker);
  std::vector<std::string> secrets = masker.secrets();
  // Longest first, so a secret that contains another is replaced whole.
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& secret : secrets) replace_all(text, secret, kMask);
  return text;
}

std::string mask_urls_in(std::string_view text) {
  std::string out;
  size_t done = 0;
  for (size_t at = text.find("://"); at != std::string_view::npos; at = text.find("://", done)) {
    size_t start = at;
    while (start > done && std::isalpha(static_cast<unsigned char>(text[start - 1]))) --start;
    size_t end = at + 3;
    while (end < text.size() && !ends_url(text[end])) ++end;
    out += text.substr(done, start - done);
    out += mask_url(text.substr(start, end - start));
    done = end;
  }
  out += text.substr(done);
  return out;
}

}  // namespace streamrelay::net
