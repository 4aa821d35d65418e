// A destination that stops taking bytes, told from the socket's send queue on a fake clock.
#include <gtest/gtest.h>

#include "media/rtmp/transport/send_progress.h"

using streamrelay::media::SendProgress;
using namespace std::chrono_literals;

namespace {

const SendProgress::Clock::time_point kStart{};

}  // namespace

TEST(SendProgress, AQueueThatDoesNotGoDownForTheLimitIsAStall) {
  SendProgress progress(2000ms);
  EXPECT_FALSE(progress.is_stalled(10000, 4000, kStart));
  EXPECT_FALSE(progress.is_stalled(20000, 14000, kStart + 1999ms));
  EXPECT_TRUE(progress.is_stalled(30000, 24000, kStart + 2000ms));
}

TEST(SendProgress, AcknowledgedBytesRestartTheClock) {
  SendProgress progress(2000ms);
  EXPECT_FALSE(progress.is_stalled(10000, 4000, kStart));
  EXPECT_FALSE(progress.is_stalled(20000, 13999, kStart + 1500ms));  // one more byte taken
  EXPECT_FALSE(progress.is_stalled(30000, 23999, kStart + 3000ms));
  EXPECT_TRUE(progress.is_stalled(40000, 33999, kStart + 3500ms));
}

TEST(SendProgress, AnEmptyQueueIsNeverAStall) {
  SendProgress progress(2000ms);
  EXPECT_FALSE(progress.is_stalled(10000, 4000, kStart));
  EXPECT_FALSE(progress.is_stalled(10000, 0, kStart + 10s));  // the source paused
  EXPECT_FALSE(progress.is_stalled(20000, 500, kStart + 20s));
  EXPECT_FALSE(progress.is_stalled(30000, 10500, kStart + 21s));
  EXPECT_TRUE(progress.is_stalled(40000, 20500, kStart + 22s));
}

TEST(SendProgress, ASlowPeerThatKeepsTakingBytesIsNoStall) {
  SendProgress progress(2000ms);
  uint64_t sent = 0;
  uint64_t acknowledged = 0;
  for (int second = 0; second < 60; ++second) {
    sent += 100000;
    acknowledged += 50000;  // half the rate: the queue grows, but it moves
    EXPECT_FALSE(progress.is_stalled(sent, sent - acknowledged, kStart + second * 1s));
  }
}
