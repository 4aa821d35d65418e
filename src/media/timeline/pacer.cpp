#include "media/timeline/pacer.h"

#include <algorithm>

namespace streamrelay::media {

void Pacer::reset(int64_t dts, Clock::time_point now) {
  anchor_ = now - std::chrono::milliseconds(dts);
  is_anchored_ = true;
  highest_dts_ = dts;
}

Pacer::Clock::duration Pacer::delay_for(int64_t packet_dts, Clock::time_point now) {
  if (!is_anchored_) reset(packet_dts, now);
  int64_t dts = std::max(packet_dts, highest_dts_);
  highest_dts_ = dts;
  Clock::time_point due = due_time(dts);
  if (due < now - max_lag_) {
    anchor_ += now - due;  // behind: move the anchor, never burst
    return Clock::duration::zero();
  }
  Clock::time_point release = due - lead_;
  return release > now ? release - now : Clock::duration::zero();
}

}  // namespace streamrelay::media
