#pragma once

#include <array>
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
// thread; a pool goes when its last buffer does. The pools are renewed every few thousand
// packets, so what a burst made them hold (a destination outage filling the queue) goes back.
class PayloadPools {
 public:
  // Gives the blank `packet` a payload of `size` bytes (and FFmpeg's zeroed padding); a size
  // beyond the largest class is allocated as usual. False when memory runs out.
  bool allocate(AVPacket& packet, size_t size);

 private:
  struct PoolDeleter {
    void operator()(AVBufferPool* pool) const { av_buffer_pool_uninit(&pool); }
  };
  static constexpr std::array<size_t, 9> kClasses = {256,  512,   1024,  2048, 4096,
                                                     8192, 16384, 32768, 65536};
  static constexpr int kRenewEvery = 4096;  // about a minute of a 25 fps stream with audio
  std::array<std::unique_ptr<AVBufferPool, PoolDeleter>, kClasses.size()> pools_;
  int allocations_ = 0;
};

}  // namespace streamrelay::media
