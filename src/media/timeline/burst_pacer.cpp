#include "media/timeline/burst_pacer.h"

#include <algorithm>

#include "media/timeline/timeline_rebaser.h"

namespace streamrelay::media {

BurstPacer::Clock::duration BurstPacer::delay_for(TrackKind track, int64_t dts,
                                                  Clock::time_point now) {
  size_t index = track == TrackKind::video ? 0 : 1;
  std::optional<int64_t>& last = last_dts_[index];
  // A step back is judged per track (the tracks interleave a little apart), a leap forward
  // against the furthest packet of either.
  bool is_back = last && *last - dts >= TimelineRebaser::kBackwardJumpMs;
  bool is_leap = highest_dts_ && dts - *highest_dts_ > TimelineRebaser::kMaxForwardJumpMs;
  last = dts;
  if (awaits_jump_[index]) {
    // The other track jumped back first: this one's packets on the old clock are due at once,
    // and its own jump joins the clock the other one set.
    if (!is_back) return Clock::duration::zero();
    awaits_jump_[index] = false;
  } else if (is_back || is_leap) {
    pacer_.reset(dts, now);
    highest_dts_ = dts;
    size_t other = 1 - index;
    awaits_jump_[other] = is_back && last_dts_[other].has_value();
  }
  highest_dts_ = std::max(highest_dts_.value_or(dts), dts);
  return pacer_.delay_for(dts, now);
}

}  // namespace streamrelay::media
