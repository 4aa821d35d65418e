#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "media/media_packet.h"
#include "media/timeline/pacer.h"

namespace streamrelay::media {

// Real-time pacing for a live source that delivers in bursts (HLS hands over a segment at a
// time), on the source's own timestamps: packets are released at most `lead` ahead of one wall
// clock anchored at the first packet, and a shortfall moves the clock instead of bursting (see
// Pacer). A jump the output timeline re-anchors on (TimelineRebaser's limits) re-anchors the
// clock too, so a jump in the source neither holds its packets nor lets them through at once.
class BurstPacer {
 public:
  using Clock = Pacer::Clock;

  BurstPacer(std::chrono::milliseconds lead, std::chrono::milliseconds max_lag)
      : pacer_(lead, max_lag) {}

  // How long to hold a packet of `track` with this source DTS before forwarding it.
  Clock::duration delay_for(TrackKind track, int64_t dts, Clock::time_point now);

 private:
  Pacer pacer_;
  std::array<std::optional<int64_t>, 2> last_dts_;  // per track (video, audio)
  std::optional<int64_t> highest_dts_;              // of either track, since the clock's anchor
  std::array<bool, 2> awaits_jump_{};  // the other track jumped back; this one has not yet
};

}  // namespace streamrelay::media
