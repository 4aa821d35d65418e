#pragma once

#include <optional>
#include <string>

#include "media/av_handles.h"
#include "media/formats/hls_playlist.h"

namespace streamrelay::media {

// The facts of the media playlist an HLS input was opened from (a master playlist's first
// variant is followed once), read by fetching it again through the input's own opener, so the
// same access checks, protocols and deadline apply. Nullopt when it cannot be read.
std::optional<HlsPlaylistFacts> fetch_hls_playlist(AVFormatContext& input, const std::string& url);

}  // namespace streamrelay::media
