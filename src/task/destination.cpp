#include "task/destination.h"

#include <algorithm>

#include "task/url_rules.h"

namespace streamrelay::task {

std::string destination_key(const TaskSpec& spec) {
  std::string url = destination_of(spec);
  auto parsed = parse_url(url);
  if (!parsed) return url;
  std::string host = parsed->host;
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string port = parsed->port;
  if (port.empty()) port = parsed->scheme == "rtmps" ? "443" : "1935";
  std::string path = parsed->path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return parsed->scheme + "://" + host + ":" + port + path;
}

std::string masked_destination(const std::string& url) {
  std::string masked = mask_url(url);
  size_t query = masked.find('?');
  size_t path_end = query == std::string::npos ? masked.size() : query;
  size_t slash = masked.rfind('/', path_end);
  size_t authority = masked.find("://");
  if (slash == std::string::npos || authority == std::string::npos || slash < authority + 3) {
    return masked;
  }
  // Keep the slash that ends the app and the key's first 4 characters.
  size_t key_start = slash + 1;
  size_t key_length = path_end - key_start;
  if (key_length > 4) masked.replace(key_start + 4, key_length - 4, "***");
  return masked;
}

}  // namespace streamrelay::task
