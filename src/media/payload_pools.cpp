#include "media/payload_pools.h"

#include <cstring>

namespace streamrelay::media {

PayloadPools& PayloadPools::of_this_thread() {
  thread_local PayloadPools pools;
  return pools;
}

bool PayloadPools::allocate(AVPacket& packet, size_t size) {
  if (++allocations_ >= kRenewCheckEvery) {
    allocations_ = 0;
    auto now = std::chrono::steady_clock::now();
    if (now - renewed_ >= renew_after_) {
      renewed_ = now;
      for (auto& pool : pools_) pool.reset();
    }
  }
  size_t needed = size + AV_INPUT_BUFFER_PADDING_SIZE;
  for (size_t i = 0; i < kClasses.size(); ++i) {
    if (needed > kClasses[i]) continue;
    if (!pools_[i]) pools_[i].reset(av_buffer_pool_init(kClasses[i], nullptr));
    AVBufferRef* buffer = pools_[i] ? av_buffer_pool_get(pools_[i].get()) : nullptr;
    if (!buffer) return false;
    packet.buf = buffer;
    packet.data = buffer->data;
    packet.size = static_cast<int>(size);
    std::memset(packet.data + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    return true;
  }
  return av_new_packet(&packet, static_cast<int>(size)) == 0;
}

}  // namespace streamrelay::media
