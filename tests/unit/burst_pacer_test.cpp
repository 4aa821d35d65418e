#include <gtest/gtest.h>

#include "media/timeline/burst_pacer.h"

using streamrelay::media::BurstPacer;
using streamrelay::media::TrackKind;
using namespace std::chrono_literals;

namespace {

constexpr auto kZero = BurstPacer::Clock::duration::zero();

}  // namespace

TEST(BurstPacer, ASegmentThatCameAtOnceIsReleasedAtRealTime) {
  BurstPacer pacer(500ms, 300ms);
  auto start = BurstPacer::Clock::time_point{} + 1h;
  EXPECT_EQ(pacer.delay_for(TrackKind::video, 90000, start), kZero);
  EXPECT_EQ(pacer.delay_for(TrackKind::audio, 90300, start), kZero);
  EXPECT_EQ(pacer.delay_for(TrackKind::video, 92000, start), BurstPacer::Clock::duration(1500ms));
  EXPECT_EQ(pacer.delay_for(TrackKind::video, 95960, start), BurstPacer::Clock::duration(5460ms));
}

TEST(BurstPacer, AStepBackOfASecondOrMoreReanchorsInsteadOfBursting) {
  BurstPacer pacer(500ms, 300ms);
  auto start = BurstPacer::Clock::time_point{} + 1h;
  pacer.delay_for(TrackKind::video, 600000, start);
  pacer.delay_for(TrackKind::video, 601000, start + 500ms);
  // A discontinuity back to 0: the new timeline is paced from now, not let through at once.
  EXPECT_EQ(pacer.delay_for(TrackKind::video, 0, start + 600ms), kZero);
  EXPECT_EQ(pacer.delay_for(TrackKind::video, 2000, start + 600ms),
            BurstPacer::Clock::duration(1500ms));
}

TEST(BurstPacer, ALeapForwardBeyondTheTimelineLimitIsNotWaitedFor) {
  BurstPacer pacer(500ms, 300ms);
  auto start = BurstPacer::Clock::time_point{} + 1h;
  pacer.delay_for(TrackKind::video, 1000, start);
  EXPECT_EQ(pacer.delay_for(TrackKind::video, 3600000, start + 40ms), kZero);
  EXPECT_EQ(pacer.delay_for(TrackKind::audio, 3600010, start + 40ms), kZero);
}

TEST(BurstPacer, TheOtherTrackALittleBehindIsNotADiscontinuity) {
  BurstPacer pacer(500ms, 300ms);
  auto start = BurstPacer::Clock::time_point{} + 1h;
  pacer.delay_for(TrackKind::video, 10000, start);
  pacer.delay_for(TrackKind::video, 10700, start + 200ms);
  EXPECT_EQ(pacer.delay_for(TrackKind::audio, 9900, start + 200ms), kZero);
  EXPECT_EQ(pacer.delay_for(TrackKind::video, 12000, start + 200ms),
            BurstPacer::Clock::duration(1300ms));
}

TEST(BurstPacer, ATrackStillOnTheOldClockAfterTheOtherJumpedBackIsNotHeld) {
  BurstPacer pacer(500ms, 300ms);
  auto start = BurstPacer::Clock::time_point{} + 1h;
  pacer.delay_for(TrackKind::video, 5000, start);
  pacer.delay_for(TrackKind::audio, 5000, start);
  // The audio of the new clock comes first; the video's last old frame follows it.
  EXPECT_EQ(pacer.delay_for(TrackKind::audio, 0, start + 40ms), kZero);
  EXPECT_EQ(pacer.delay_for(TrackKind::video, 5040, start + 40ms), kZero);
  // The video's own jump joins the audio's clock.
  EXPECT_EQ(pacer.delay_for(TrackKind::video, 0, start + 80ms), kZero);
  EXPECT_EQ(pacer.delay_for(TrackKind::video, 2000, start + 80ms),
            BurstPacer::Clock::duration(1460ms));
}
