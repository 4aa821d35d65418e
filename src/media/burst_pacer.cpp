#include "media/burst_pacer.h"

#include <algorithm>

#include "media/timeline_rebaser.h"

namespace streamrelay::media {

BurstPacer::Clock::duration BurstPacer::delay_for(TrackKind track, int64_t dts,
                                                  Clock::time_point now) {
  std::optional<int64_t>& last = last_dts_[track == TrackKind::video ? 0 : 1];
  // A step back is judged per track (the tracks interleave a little apart), a leap forward
  // against the furthest packet of either.
  bool is_back = last && *last - dts >= TimelineRebaser::kBackwardJumpMs;
  bool is_leap = highest_dts_ && dts - *highest_dts_ > TimelineRebaser::kMaxForwardJumpMs;
  if (is_back || is_leap) {
    pacer_.reset(dts, now);
    highest_dts_ = dts;
  }
  last = dts;
  highest_dts_ = std::max(highest_dts_.value_or(dts), dts);
  return pacer_.delay_for(dts, now);
}

}  // namespace streamrelay::media
