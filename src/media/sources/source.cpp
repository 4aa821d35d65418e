#include "media/sources/source.h"

#include "media/av_handles.h"
#include "media/av_logging.h"
#include "net/egress_policy.h"

namespace streamrelay::media {

std::string SkippedTracks::describe() const {
  std::string tracks;
  if (!video.empty()) tracks = "video " + video;
  if (!audio.empty()) tracks += (tracks.empty() ? "audio " : ", audio ") + audio;
  return tracks + " cannot be relayed (supported: h264, aac, mp3)";
}

SourceError source_error_from(const IoDeadline& deadline, int code, const char* operation) {
  if (deadline.has_expired()) {
    return {SourceErrorKind::stalled, std::string(operation) + ": no data within the time limit"};
  }
  if (code == AVERROR_EOF) return {SourceErrorKind::ended, "source ended"};
  std::string refusal = net::take_last_refusal();
  if (!refusal.empty())
    return {SourceErrorKind::unavailable, std::string(operation) + ": " + refusal};
  return {SourceErrorKind::unavailable, std::string(operation) + ": " + describe_av_error(code)};
}

}  // namespace streamrelay::media
