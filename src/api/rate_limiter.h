#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace streamrelay::api {

// Requests per credential: a token bucket each, refilled at `rate` per second up to `burst`.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // rate 0: unlimited.
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}

  // Takes a token from `principal`'s bucket; false when it is empty.
  bool allow(const std::string& principal, Clock::time_point now = Clock::now());
  // True when `principal`'s bucket holds a token, without taking it.
  bool has_token(const std::string& principal, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };

  // Buckets idle this long are forgotten (they would be full again anyway).
  static constexpr std::chrono::seconds kIdle{60};
  static constexpr size_t kSweepAbove = 10000;

  Bucket& refilled(const std::string& principal, Clock::time_point now);

  double rate_;
  double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace streamrelay::api
