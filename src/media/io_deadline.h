#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "media/av_handles.h"

namespace streamrelay::media {

// Bounds every blocking libavformat call of one leg: the call is interrupted when the leg is
// asked to stop or when the deadline of the current operation passes.
class IoDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit IoDeadline(const std::atomic<bool>& stop_requested) : stop_requested_(stop_requested) {}

  // Arms the deadline `budget` from now for the next blocking operation.
  void arm(std::chrono::milliseconds budget);
  // While closing, a stop request no longer interrupts (so a clean unpublish gets out); the
  // deadline still does.
  void set_closing(bool is_closing) { is_closing_ = is_closing; }
  bool has_expired() const;
  Clock::time_point expires_at() const {
    return Clock::time_point(Clock::duration(deadline_ns_.load()));
  }
  bool is_interrupted() const;

  AVIOInterruptCB callback() { return {&IoDeadline::on_poll, this}; }

 private:
  static int on_poll(void* opaque);

  const std::atomic<bool>& stop_requested_;
  std::atomic<int64_t> deadline_ns_{0};
  std::atomic<bool> is_closing_{false};
};

}  // namespace streamrelay::media
