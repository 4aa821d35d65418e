#include "media/relay/backoff.h"

#include <algorithm>

namespace streamrelay::media {

Backoff::Backoff(BackoffPolicy policy)
    : policy_(policy), step_(policy.initial), random_(std::random_device{}()) {}

std::chrono::milliseconds Backoff::next_delay() {
  int64_t step = step_.count();
  std::uniform_int_distribution<int64_t> jitter(step / 2, step);
  step_ = std::min(step_ * 2, policy_.max);
  return std::chrono::milliseconds(jitter(random_));
}

}  // namespace streamrelay::media
