#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>

extern "C" {
#include <libavcodec/defs.h>
#include <libavcodec/packet.h>
#include <libavutil/buffer.h>
}

namespace streamrelay::media {

// Packet payload buffers by size class, reused from packet to packet. A source's packets are
// freed on the destination leg's thread, and allocating each anew kept malloc busy consolidating
// freed chunks (about a tenth of a live relay's CPU). Buffers go back to their pool from any
// thread; a pool goes when its last buffer does. The pools are renewed about once a minute, so
// what a burst made them hold (a destination outage filling a queue) goes back.
class PayloadPools {
 public:
  // The pools of the calling thread, shared by every source it reads: what they hold beyond
  // the packets in flight is the thread's largest burst, not the sum of each relay's.
  static PayloadPools& of_this_thread();

  // `renew_after`: how long the pools keep what they were given back before they are renewed.
  explicit PayloadPools(std::chrono::steady_clock::duration renew_after = std::chrono::seconds(60))
      : renew_after_(renew_after) {}

  // Gives the blank `packet` a payload of `size` bytes (and FFmpeg's zeroed padding); a size
  // beyond the largest class is allocated as usual. False when memory runs out.
  bool allocate(AVPacket& packet, size_t size);

 private:
  struct PoolDeleter {
    void operator()(AVBufferPool* pool) const { av_buffer_pool_uninit(&pool); }
  };
  static constexpr std::array<size_t, 9> kClasses = {256,  512,   1024,  2048, 4096,
                                                     8192, 16384, 32768, 65536};
  static constexpr int kRenewCheckEvery = 4096;  // allocations between looks at the clock
  std::array<std::unique_ptr<AVBufferPool, PoolDeleter>, kClasses.size()> pools_;
  std::chrono::steady_clock::duration renew_after_;
  int allocations_ = 0;
  std::chrono::steady_clock::time_point renewed_ = std::chrono::steady_clock::now();
};

}  // namespace streamrelay::media
