#include "api/rate_limiter.h"

#include <algorithm>

namespace streamrelay::api {

RateLimiter::Bucket& RateLimiter::refilled(const std::string& principal, Clock::time_point now) {
  if (buckets_.size() > kSweepAbove) {
    std::erase_if(buckets_, [&](const auto& item) { return now - item.second.updated > kIdle; });
  }
  auto [it, is_new] = buckets_.try_emplace(principal, Bucket{burst_, now});
  Bucket& bucket = it->second;
  if (!is_new) {
    double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_);
    bucket.updated = now;
  }
  return bucket;
}

bool RateLimiter::allow(const std::string& principal, Clock::time_point now) {
  if (rate_ <= 0) return true;
  std::lock_guard lock(mutex_);
  Bucket& bucket = refilled(principal, now);
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

bool RateLimiter::has_token(const std::string& principal, Clock::time_point now) {
  if (rate_ <= 0) return true;
  std::lock_guard lock(mutex_);
  return refilled(principal, now).tokens >= 1.0;
}

}  // namespace streamrelay::api
