#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamrelay::task {

struct ParsedUrl {
  std::string scheme;  // lower case
  std::string host;
  std::string port;
  std::string path;
  std::string query;
  bool has_credentials = false;
};

// Parses an absolute URL (any scheme); nullopt when it is not one.
std::optional<ParsedUrl> parse_url(std::string_view url);

// Length in characters (UTF-8 code points), as the contract counts lengths.
size_t char_length(std::string_view text);

// Where file URLs may point: absolute folders, lexically compared; and, where the deployment
// gives one, a check of the path's real location (symlinks resolved), which returns why a path
// that looks inside a root is not (this layer does no I/O itself).
struct MediaRoots {
  std::vector<std::string> folders;
  std::function<std::optional<std::string>(const std::string& path)> check_real_path;
};

// Checks one source URL against the contract; returns the rule it broke, or nullopt.
std::optional<std::string> check_source_url(std::string_view url, const MediaRoots& roots);

// Checks a complete destination URL (rtmp or rtmps, host, app and stream).
std::optional<std::string> check_destination_url(std::string_view url);

// Checks a domain in host or host:port form.
std::optional<std::string> check_domain(std::string_view domain);

// A callback URL with its scheme, http:// when it had none; nullopt-like empty error on success.
std::optional<std::string> check_callback_url(std::string_view url);
std::string with_default_scheme(std::string_view url);

// A file URL's or plain path's local path, lexically normalised; nullopt if not absolute.
std::optional<std::string> local_path_of(std::string_view url);

}  // namespace streamrelay::task
