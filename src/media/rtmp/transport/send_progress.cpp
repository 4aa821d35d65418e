#include "media/rtmp/transport/send_progress.h"

#include <algorithm>

namespace streamrelay::media {

bool SendProgress::is_stalled(uint64_t sent, uint64_t unacknowledged, Clock::time_point now) {
  uint64_t acknowledged = sent - std::min(unacknowledged, sent);
  // Nothing waiting is no stall, however long since the last send (a source that paused).
  if (!has_looked_ || unacknowledged == 0 || acknowledged > acknowledged_) {
    has_looked_ = true;
    acknowledged_ = acknowledged;
    last_progress_ = now;
    return false;
  }
  return now - last_progress_ >= limit_;
}

}  // namespace streamrelay::media
