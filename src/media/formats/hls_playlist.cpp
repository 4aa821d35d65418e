#include "media/formats/hls_playlist.h"

#include <charconv>
#include <cmath>

namespace streamrelay::media {
namespace {

constexpr std::string_view kTargetDuration = "#EXT-X-TARGETDURATION:";
constexpr std::string_view kVariant = "#EXT-X-STREAM-INF";
constexpr std::string_view kEndList = "#EXT-X-ENDLIST";

std::string_view trimmed(std::string_view line) {
  constexpr std::string_view kSpace = " \t\r";
  size_t first = line.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return line.substr(first, line.find_last_not_of(kSpace) - first + 1);
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The spec writes a whole number of seconds; some servers write a decimal, which is read too.
std::optional<int64_t> seconds_to_ms(std::string_view text) {
  double seconds = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc() || end != text.data() + text.size() || !(seconds > 0)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(std::llround(seconds * 1000));
}

}  // namespace

HlsPlaylistFacts read_hls_playlist(std::string_view text) {
  HlsPlaylistFacts facts;
  bool is_variant_next = false;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = trimmed(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (line.empty()) continue;
    if (starts_with(line, kTargetDuration)) {
      facts.target_duration_ms = seconds_to_ms(line.substr(kTargetDuration.size()));
    } else if (starts_with(line, kEndList)) {
      facts.has_ended = true;
    } else if (starts_with(line, kVariant)) {
      is_variant_next = facts.first_variant_uri.empty();
    } else if (line.front() != '#' && is_variant_next) {
      facts.first_variant_uri = std::string(line);
      is_variant_next = false;
    }
  }
  return facts;
}

std::string resolve_hls_uri(const std::string& playlist_url, const std::string& uri) {
  if (uri.find("://") != std::string::npos) return uri;
  size_t query = playlist_url.find('?');
  std::string base = playlist_url.substr(0, query);
  size_t authority = base.find("://");
  size_t path = authority == std::string::npos ? 0 : base.find('/', authority + 3);
  if (!uri.empty() && uri.front() == '/') {
    return (path == std::string::npos ? base : base.substr(0, path)) + uri;
  }
  size_t last_slash = base.rfind('/');
  // A URL with no path ("http://host") names the root.
  if (path == std::string::npos || last_slash < path) return base + "/" + uri;
  return base.substr(0, last_slash + 1) + uri;
}

}  // namespace streamrelay::media
