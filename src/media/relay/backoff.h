#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace streamrelay::media {

struct BackoffPolicy {
  std::chrono::milliseconds initial{250};
  std::chrono::milliseconds max{10000};
  // A leg that has worked this long has its backoff reset.
  std::chrono::milliseconds stable_period{10000};
};

// Capped exponential backoff with jitter (each delay drawn from 50%..100% of the step).
class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy);

  std::chrono::milliseconds next_delay();
  void reset() { step_ = policy_.initial; }
  const BackoffPolicy& policy() const { return policy_; }

 private:
  BackoffPolicy policy_;
  std::chrono::milliseconds step_;
  std::minstd_rand random_;
};

}  // namespace streamrelay::media
