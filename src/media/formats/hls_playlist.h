#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace streamrelay::media {

// What the relay needs to know of an HLS playlist's text (RFC 8216): the cadence of a media
// playlist, or where a master playlist's first variant is.
struct HlsPlaylistFacts {
  std::optional<int64_t> target_duration_ms;  // #EXT-X-TARGETDURATION
  bool has_ended = false;                     // #EXT-X-ENDLIST: a finished (VOD) playlist
  std::string first_variant_uri;              // a master playlist's first #EXT-X-STREAM-INF URI
};

HlsPlaylistFacts read_hls_playlist(std::string_view text);

// `uri` as a URL, resolved against the URL of the playlist that names it.
std::string resolve_hls_uri(const std::string& playlist_url, const std::string& uri);

}  // namespace streamrelay::media
