#pragma once

#include <chrono>
#include <climits>
#include <cstdint>

namespace streamrelay::media {

// Real-time pacing for file sources: output DTS is released against one wall clock anchored
// when the push session starts, at most `lead` ahead of it. When the output falls more than
// `max_lag` behind (a slow file server, a pause), the anchor moves forward by the shortfall,
// so it never bursts to catch up.
class Pacer {
 public:
  using Clock = std::chrono::steady_clock;

  Pacer(std::chrono::milliseconds lead, std::chrono::milliseconds max_lag)
      : lead_(lead), max_lag_(max_lag) {}

  // Anchors the clock so that `dts` is due now.
  void reset(int64_t dts, Clock::time_point now);
  bool is_anchored() const { return is_anchored_; }

  // How long to wait before releasing a packet with this output DTS (zero when due).
  Clock::duration delay_for(int64_t dts, Clock::time_point now);

 private:
  Clock::time_point due_time(int64_t dts) const { return anchor_ + std::chrono::milliseconds(dts); }

  std::chrono::milliseconds lead_;
  std::chrono::milliseconds max_lag_;
  // Paced on the highest DTS so far: a packet of one track slightly behind the other's is not a
  // shortfall.
  int64_t highest_dts_ = INT64_MIN;
  Clock::time_point anchor_{};
  bool is_anchored_ = false;
};

}  // namespace streamrelay::media
