#include "media/timeline/timeline_rebaser.h"

#include <algorithm>
#include <cstdlib>

namespace streamrelay::media {

void TimelineRebaser::begin_segment(int64_t frame_ms) {
  frame_ms_ = frame_ms > 0 ? frame_ms : 40;
  is_anchored_ = false;
  pending_epoch_.reset();
  for (TrackState& track : tracks_) track.has_started = false;
}

void TimelineRebaser::reset_session(int64_t start_ms) {
  session_start_ = start_ms;
  tracks_ = {};
  is_anchored_ = false;
  pending_epoch_.reset();
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
  return last ? *last + frame_ms_ : session_start_;
}

bool TimelineRebaser::is_jump(const TrackState& track, int64_t dts) const {
  if (!track.last_in) return false;
  int64_t step = dts - *track.last_in;
  return step <= -kBackwardJumpMs || step > kMaxForwardJumpMs;
}

std::optional<TimelineRebaser::Mapped> TimelineRebaser::map_after_jump(TrackKind kind,
                                                                       TrackState& track,
                                                                       int64_t dts, int64_t pts) {
  bool is_video = kind == TrackKind::video;
  bool has_video = tracks_[0].has_started;
  if (!track.awaiting_since) {
    ++counters_.discontinuities;
    track.awaiting_since = dts;
  }
  if (!is_video && pending_epoch_ && std::llabs(dts - pending_epoch_->first_in) <= kAgreementMs) {
    track.offset = pending_epoch_->offset;  // the video's jump: the same new clock
    track.trims_overlap = true;
  } else if (is_video || !has_video || dts - *track.awaiting_since > kAgreementMs) {
    // The video (or a track on its own) sets the new clock one frame after its last output.
    track.offset = *track.last_out + frame_ms_ - dts;
    if (is_video) pending_epoch_ = Epoch{track.offset, dts};
  } else {
    track.last_in = dts;  // audio ahead of the video's jump: dropped until the video sets it
    ++counters_.trimmed;
    return std::nullopt;
  }
  track.awaiting_since.reset();
  return place(track, dts, pts);
}

std::optional<TimelineRebaser::Mapped> TimelineRebaser::place(TrackState& track, int64_t dts,
                                                              int64_t pts) {
  int64_t out = dts + track.offset;
  track.last_in = dts;
  if (track.last_out && out <= *track.last_out) {
    if (track.trims_overlap) {
      ++counters_.trimmed;
      return std::nullopt;
    }
    out = *track.last_out + 1;
    ++counters_.retimed;
  }
  track.trims_overlap = false;
  track.last_out = out;
  return Mapped{out, std::max(out, pts + track.offset)};
}

std::optional<TimelineRebaser::Mapped> TimelineRebaser::start_track(TrackState& track, int64_t dts,
                                                                    int64_t pts) {
  int64_t out = dts + segment_offset_;
  bool is_before_start = out < segment_start_;
  bool overlaps_own_past = track.last_out && out <= *track.last_out;
  if (is_before_start || overlaps_own_past) {
    ++counters_.trimmed;
    return std::nullopt;
  }
  track.offset = segment_offset_;
  track.has_started = true;
  track.last_in = dts;
  track.last_out = out;
  return Mapped{out, std::max(out, pts + track.offset)};
}

std::optional<TimelineRebaser::Mapped> TimelineRebaser::map(TrackKind kind, int64_t dts,
                                                            int64_t pts) {
  if (!is_anchored_) {
    segment_start_ = next_start_point();
    segment_offset_ = segment_start_ - dts;
    is_anchored_ = true;
  }
  TrackState& track = state(kind);
  if (!track.has_started) return start_track(track, dts, pts);
  if (track.awaiting_since || is_jump(track, dts)) return map_after_jump(kind, track, dts, pts);
  return place(track, dts, pts);
}

}  // namespace streamrelay::media
