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
// thread; the pools go when the last buffer does.
class PayloadPools {
 public:
  // Gives the blank `packet` a payload of `size` bytes (and FFmpeg's zeroed padding); a size
  // beyond the largest class is allocated as usual. False when memory runs out.
  bool allocate(AVPacket& packet, size_t size);

 private:
  struct PoolDeleter {
    void operator()(AVBufferPool* pool) const { av_buffer_pool_uninit(&pool); }
  };
  static constexpr std::array<size_t, 5> kClasses = {512, 2048, 8192, 32768, 131072};
  std::array<std::unique_ptr<AVBufferPool, PoolDeleter>, kClasses.size()> pools_;
};

}  // namespace streamrelay::media
