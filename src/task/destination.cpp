#include "task/destination.h"

#include <algorithm>
#include <cctype>

#include "task/url_rules.h"

namespace streamrelay::task {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Escapes of unreserved characters decoded ("%76" -> "v"), the others in upper case.
std::string normalized_escapes(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      auto c = static_cast<unsigned char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      if (is_unreserved(c)) {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i + 1])));
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i + 2])));
      }
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string without_empty_segments(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out += c;
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

std::string destination_key(const TaskSpec& spec) {
  std::string url = destination_of(spec);
  auto parsed = parse_url(url);
  if (!parsed) return url;
  std::string host = lower(parsed->host);
  while (host.size() > 1 && host.back() == '.') host.pop_back();
  std::string port = parsed->port;
  if (port.empty()) port = parsed->scheme == "rtmps" ? "443" : "1935";
  std::string path = without_empty_segments(normalized_escapes(parsed->path));
  std::string query = normalized_escapes(parsed->query);
  std::string rest = query.empty() ? path : path + "?" + query;
  // What follows the stream name after a '?' is arguments (tokens, signatures), not identity;
  // a '?' before the last '/' belongs to the app (YouTube's "live2?backup=1/key").
  size_t stream_start = rest.rfind('/');
  size_t arguments = rest.find('?', stream_start == std::string::npos ? 0 : stream_start);
  if (arguments != std::string::npos) rest.erase(arguments);
  return parsed->scheme + "://" + host + ":" + port + rest;
}

}  // namespace streamrelay::task
