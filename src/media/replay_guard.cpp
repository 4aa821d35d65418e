#include "media/replay_guard.h"

namespace streamrelay::media {

void ReplayGuard::begin(const std::string& url, int64_t window_ms) {
  if (url != url_ || window_ms <= 0) tracks_ = {};
  url_ = url;
  window_ms_ = window_ms;
  for (TrackState& track : tracks_) track.is_resuming = track.last_dts.has_value();
}

bool ReplayGuard::passes(TrackKind kind, int64_t dts) {
  TrackState& track = tracks_[kind == TrackKind::video ? 0 : 1];
  if (track.is_resuming) {
    int64_t behind = *track.last_dts - dts;
    if (behind >= 0 && behind <= window_ms_) return false;
    track.is_resuming = false;
  }
  track.last_dts = dts;
  return true;
}

}  // namespace streamrelay::media
