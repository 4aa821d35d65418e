#pragma once

namespace streamrelay::media {

// Sends FFmpeg's own messages into the service log as `event=ffmpeg` lines at debug level (our
// code reports every failure that matters itself; FFmpeg's text is detail for diagnosis).
void route_ffmpeg_logs();

}  // namespace streamrelay::media
