#include <gtest/gtest.h>

#include "media/timeline/pacer.h"

using streamrelay::media::Pacer;
using namespace std::chrono_literals;

TEST(Pacer, ReleasesPacketsNoMoreThanTheLeadAheadOfRealTime) {
  Pacer pacer(500ms, 300ms);
  auto start = Pacer::Clock::time_point{} + 1h;
  EXPECT_EQ(pacer.delay_for(0, start), Pacer::Clock::duration::zero());
  EXPECT_EQ(pacer.delay_for(400, start), Pacer::Clock::duration::zero());
  EXPECT_EQ(pacer.delay_for(2000, start), Pacer::Clock::duration(1500ms));
  EXPECT_EQ(pacer.delay_for(2000, start + 1500ms), Pacer::Clock::duration::zero());
}

TEST(Pacer, WhenBehindItMovesTheClockInsteadOfBursting) {
  Pacer pacer(500ms, 300ms);
  auto start = Pacer::Clock::time_point{} + 1h;
  pacer.delay_for(0, start);
  // A slow server: the packet for 1 s arrives at 3 s; it goes now, and so does not the next.
  EXPECT_EQ(pacer.delay_for(1000, start + 3s), Pacer::Clock::duration::zero());
  EXPECT_EQ(pacer.delay_for(2000, start + 3s), Pacer::Clock::duration(500ms));
}

TEST(Pacer, APacketOfATrackSlightlyBehindIsNotAShortfall) {
  Pacer pacer(500ms, 300ms);
  auto start = Pacer::Clock::time_point{} + 1h;
  pacer.delay_for(0, start);
  pacer.delay_for(5000, start + 4500ms);
  EXPECT_EQ(pacer.delay_for(4000, start + 4500ms), Pacer::Clock::duration::zero());
  EXPECT_EQ(pacer.delay_for(6000, start + 4500ms), Pacer::Clock::duration(1000ms));
}
