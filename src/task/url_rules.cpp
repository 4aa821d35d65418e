#include "task/url_rules.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <memory>

namespace streamrelay::task {
namespace {

struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using CurlUrlPtr = std::unique_ptr<CURLU, CurlUrlDeleter>;

std::string url_part(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, 0) != CURLUE_OK || value == nullptr) return "";
  std::string out = value;
  curl_free(value);
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool has_control_or_space(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

constexpr std::array<std::string_view, 7> kSourceSchemes = {"rtmp", "rtmps", "http", "https",
                                                            "srt",  "rtsp",  "file"};

}  // namespace

std::optional<ParsedUrl> parse_url(std::string_view text) {
  if (text.empty() || has_control_or_space(text)) return std::nullopt;
  CurlUrlPtr url(curl_url());
  if (!url) return std::nullopt;
  std::string copy(text);
  unsigned flags = CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS;
  if (curl_url_set(url.get(), CURLUPART_URL, copy.c_str(), flags) != CURLUE_OK) return std::nullopt;
  ParsedUrl parsed;
  parsed.scheme = lower(url_part(url.get(), CURLUPART_SCHEME));
  parsed.host = url_part(url.get(), CURLUPART_HOST);
  parsed.port = url_part(url.get(), CURLUPART_PORT);
  parsed.path = url_part(url.get(), CURLUPART_PATH);
  parsed.query = url_part(url.get(), CURLUPART_QUERY);
  parsed.has_credentials = !url_part(url.get(), CURLUPART_USER).empty();
  if (parsed.scheme.empty()) return std::nullopt;
  // curl accepts "scheme:path" only for file; every other scheme needs "://".
  if (copy.find("://") == std::string::npos) return std::nullopt;
  return parsed;
}

size_t char_length(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::optional<std::string> local_path_of(std::string_view url) {
  std::string_view path = url;
  if (path.substr(0, 7) == "file://") path.remove_prefix(7);
  if (path.empty() || path.front() != '/') return std::nullopt;
  return std::filesystem::path(path).lexically_normal().string();
}

std::optional<std::string> check_source_url(std::string_view url, const MediaRoots& roots) {
  if (char_length(url) > 2048) return "must be at most 2048 characters";
  auto parsed = parse_url(url);
  if (!parsed) return "must be an absolute URL such as rtmp://host/app/stream";
  if (std::find(kSourceSchemes.begin(), kSourceSchemes.end(), parsed->scheme) ==
      kSourceSchemes.end()) {
    return "scheme must be one of rtmp, rtmps, http, https, srt, rtsp, file";
  }
  if (parsed->scheme != "file") {
    if (parsed->host.empty()) return "must name a host";
    return std::nullopt;
  }
  auto path = local_path_of(url);
  if (!path || !parsed->host.empty()) return "file URLs must be file:///absolute/path";
  for (const std::string& root : roots.folders) {
    std::string folder = std::filesystem::path(root).lexically_normal().string();
    if (!folder.empty() && folder.back() != '/') folder += '/';
    if (path->rfind(folder, 0) == 0) {
      return roots.check_real_path ? roots.check_real_path(*path) : std::nullopt;
    }
  }
  return roots.folders.empty() ? "file URLs are refused: no media root is configured"
                               : "file URLs must point inside a configured media root";
}

std::optional<std::string> check_destination_url(std::string_view url) {
  if (char_length(url) > 2048) return "must be at most 2048 characters";
  auto parsed = parse_url(url);
  if (!parsed) return "must be an absolute URL such as rtmp://host/app/stream";
  if (parsed->scheme != "rtmp" && parsed->scheme != "rtmps") return "scheme must be rtmp or rtmps";
  if (parsed->host.empty()) return "must name a host";
  // The app and the stream are split as libavformat splits them, over the path and the query
  // together: YouTube's backup ingest "rtmp://h/live2?backup=1/key" has the app "live2?backup=1".
  std::string rest = parsed->query.empty() ? parsed->path : parsed->path + "?" + parsed->query;
  std::string_view path = rest;
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= path.size()) {
    return "must have the form rtmp://host/app/stream";
  }
  return std::nullopt;
}

std::optional<std::string> check_domain(std::string_view domain) {
  if (has_control_or_space(domain)) return "must not contain spaces or control characters";
  auto parsed = parse_url("rtmp://" + std::string(domain) + "/app/stream");
  if (!parsed || parsed->host.empty() || parsed->has_credentials ||
      domain.find_first_of("/?#@") != std::string_view::npos) {
    return "must be a host name or host:port";
  }
  return std::nullopt;
}

std::string with_default_scheme(std::string_view url) {
  if (url.empty() || url.find("://") != std::string_view::npos) return std::string(url);
  return "http://" + std::string(url);
}

std::optional<std::string> check_callback_url(std::string_view url) {
  if (char_length(url) > 2048) return "must be at most 2048 characters";
  auto parsed = parse_url(with_default_scheme(url));
  if (!parsed || parsed->host.empty()) return "must be an http or https URL";
  if (parsed->scheme != "http" && parsed->scheme != "https") return "scheme must be http or https";
  return std::nullopt;
}

}  // namespace streamrelay::task
