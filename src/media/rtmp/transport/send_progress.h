#pragma once

#include <chrono>
#include <cstdint>

namespace streamrelay::media {

// Whether the peer of a TCP connection still takes what is sent, judged from the socket's send
// queue: the bytes its TCP has acknowledged go up while it reads. A send buffer grows to
// megabytes (Linux autotunes it up to tcp_wmem's maximum, minutes of a live stream), so a
// blocked send() notices a peer that stopped reading far too late; a queue that holds bytes and
// does not go down for the limit is that peer.
class SendProgress {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SendProgress(std::chrono::milliseconds limit) : limit_(limit) {}

  // `sent`: every byte handed to the socket so far; `unacknowledged`: those the peer has not
  // acknowledged yet (SIOCOUTQ). Called before each send, so the bytes just sent do not count.
  bool is_stalled(uint64_t sent, uint64_t unacknowledged, Clock::time_point now);
  std::chrono::milliseconds limit() const { return limit_; }

 private:
  std::chrono::milliseconds limit_;
  bool has_looked_ = false;
  uint64_t acknowledged_ = 0;
  Clock::time_point last_progress_{};
};

}  // namespace streamrelay::media
