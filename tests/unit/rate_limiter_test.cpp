#include <gtest/gtest.h>

#include "api/rate_limiter.h"

using streamrelay::api::RateLimiter;
using namespace std::chrono_literals;

TEST(RateLimiter, AllowsABurstThenTheRate) {
  RateLimiter limiter(10, 20);
  auto now = RateLimiter::Clock::time_point{} + 1h;
  int allowed = 0;
  for (int i = 0; i < 100; ++i) allowed += limiter.allow("a", now) ? 1 : 0;
  EXPECT_EQ(allowed, 20);
  EXPECT_FALSE(limiter.allow("a", now + 50ms));
  EXPECT_TRUE(limiter.allow("a", now + 150ms));
}

TEST(RateLimiter, EachCredentialHasItsOwnBucket) {
  RateLimiter limiter(1, 1);
  auto now = RateLimiter::Clock::time_point{} + 1h;
  EXPECT_TRUE(limiter.allow("a", now));
  EXPECT_FALSE(limiter.allow("a", now));
  EXPECT_TRUE(limiter.allow("b", now));
}

TEST(RateLimiter, ZeroMeansNoLimit) {
  RateLimiter limiter(0, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.allow("a"));
}
