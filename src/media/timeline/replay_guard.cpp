#include "media/timeline/replay_guard.h"

#include <algorithm>

namespace streamrelay::media {

void ReplayGuard::begin(const std::string& url, int64_t window_ms) {
  if (url != url_ || window_ms <= 0) tracks_ = {};
  url_ = url;
  window_ms_ = window_ms;
  for (TrackState& track : tracks_) track.is_resuming = !track.forwarded.empty();
}

bool ReplayGuard::passes(TrackKind kind, int64_t dts, size_t size) {
  if (window_ms_ <= 0) return true;
  TrackState& track = tracks_[kind == TrackKind::video ? 0 : 1];
  if (track.is_resuming) {
    if (is_replay(track, dts, size)) return false;
    track.is_resuming = false;
  }
  remember(track, dts, size);
  return true;
}

bool ReplayGuard::is_replay(const TrackState& track, int64_t dts, size_t size) const {
  int64_t last = track.forwarded.back().first;
  int64_t behind = last - dts;
  if (behind < 0 || behind > window_ms_) return false;  // new, or a timeline started again
  // Older than what is remembered, inside the window: sent before, as far as can be told.
  if (dts < track.forwarded.front().first) return true;
  return std::find(track.forwarded.begin(), track.forwarded.end(), std::make_pair(dts, size)) !=
         track.forwarded.end();
}

void ReplayGuard::remember(TrackState& track, int64_t dts, size_t size) {
  track.forwarded.emplace_back(dts, size);
  while (track.forwarded.size() > kMaxRemembered ||
         track.forwarded.front().first < dts - window_ms_) {
    track.forwarded.pop_front();
  }
}

}  // namespace streamrelay::media
