#include "media/timeline_rebaser.h"

#include <algorithm>

namespace streamrelay::media {

void TimelineRebaser::begin_segment(int64_t frame_ms) {
  frame_ms_ = frame_ms > 0 ? frame_ms : 40;
  is_anchored_ = false;
  for (TrackState& track : tracks_) track.has_started_in_segment = false;
}

void TimelineRebaser::reset_session() {
  tracks_ = {};
  is_anchored_ = false;
}

std::optional<int64_t> TimelineRebaser::last_dts() const {
  std::optional<int64_t> last;
  for (const TrackState& track : tracks_) {
    if (track.last_out && (!last || *track.last_out > *last)) last = track.last_out;
  }
  return last;
}

int64_t TimelineRebaser::next_start_point() const {
  // Video sets the pace: its next frame follows one frame after its last, and audio that ran
  // past it is trimmed instead of leaving a hole in the picture.
  const TrackState& video = tracks_[0];
  if (video.last_out) return *video.last_out + frame_ms_;
  auto last = last_dts();
  return last ? *last + frame_ms_ : 0;
}

std::optional<TimelineRebaser::Mapped> TimelineRebaser::map(TrackKind kind, int64_t dts,
                                                            int64_t pts) {
  if (!is_anchored_) {
    segment_start_ = next_start_point();
    for (TrackState& track : tracks_) track.offset = segment_start_ - dts;
    is_anchored_ = true;
  }
  TrackState& track = state(kind);
  int64_t out = dts + track.offset;
  if (!track.has_started_in_segment) {
    if (out < segment_start_) return std::nullopt;  // before the segment's keyframe
    if (track.last_out && out <= *track.last_out) return std::nullopt;
    track.has_started_in_segment = true;
  } else if (track.last_out) {
    int64_t step = out - *track.last_out;
    if (step <= 0 && -step < kBackwardToleranceMs) return std::nullopt;
    if (step <= -kBackwardToleranceMs || step > kMaxForwardJumpMs) {
      track.offset = next_start_point() - dts;
      out = dts + track.offset;
    }
  }
  track.last_out = out;
  return Mapped{out, std::max(out, pts + track.offset)};
}

}  // namespace streamrelay::media
