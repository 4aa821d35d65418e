#include <gtest/gtest.h>

#include "media/timeline/replay_guard.h"

using streamrelay::media::ReplayGuard;
using streamrelay::media::TrackKind;

namespace {

constexpr int64_t kWindow = 18000;

// A picture's size as a source made it: one per timestamp.
size_t size_at(int64_t dts) {
  return 1000 + static_cast<size_t>(dts % 997);
}

// Forwards video at 25 fps from `from` to `to` (ms, inclusive), as a source would.
void forward_video(ReplayGuard& guard, int64_t from, int64_t to) {
  for (int64_t dts = from; dts <= to; dts += 40) guard.passes(TrackKind::video, dts, size_at(dts));
}

bool passes(ReplayGuard& guard, TrackKind track, int64_t dts) {
  return guard.passes(track, dts, size_at(dts));
}

}  // namespace

TEST(ReplayGuard, GivenAReopenOfTheSameUrlWhatWasSentIsDroppedUntilTheNextNewPacket) {
  ReplayGuard guard;
  guard.begin("http://h/live.m3u8", kWindow);
  forward_video(guard, 10000, 20000);
  guard.begin("http://h/live.m3u8", kWindow);  // restarts two segments back
  EXPECT_FALSE(passes(guard, TrackKind::video, 8000));
  EXPECT_FALSE(passes(guard, TrackKind::video, 20000));
  EXPECT_TRUE(passes(guard, TrackKind::video, 20040));
  EXPECT_TRUE(passes(guard, TrackKind::video, 20080));
}

TEST(ReplayGuard, EachTrackResumesAfterItsOwnLastPacket) {
  ReplayGuard guard;
  guard.begin("u", kWindow);
  passes(guard, TrackKind::video, 5000);
  passes(guard, TrackKind::audio, 4980);
  guard.begin("u", kWindow);
  EXPECT_TRUE(passes(guard, TrackKind::audio, 5003));
  EXPECT_FALSE(passes(guard, TrackKind::video, 5000));
  EXPECT_TRUE(passes(guard, TrackKind::video, 5040));
}

TEST(ReplayGuard, ASourceThatRestartedItsTimelineIsNotHeldBack) {
  ReplayGuard guard;
  guard.begin("u", kWindow);
  forward_video(guard, 3600000, 3700000);
  guard.begin("u", kWindow);
  EXPECT_TRUE(passes(guard, TrackKind::video, 1400));  // far behind the window: a new timeline
  EXPECT_TRUE(passes(guard, TrackKind::video, 1440));
}

TEST(ReplayGuard, AnotherUrlStartsAfresh) {
  ReplayGuard guard;
  guard.begin("one", kWindow);
  forward_video(guard, 10000, 20000);
  guard.begin("two", kWindow);
  EXPECT_TRUE(passes(guard, TrackKind::video, 15000));
}

TEST(ReplayGuard, InsideOneOpenNothingIsDropped) {
  ReplayGuard guard;
  guard.begin("u", kWindow);
  forward_video(guard, 10000, 20000);
  EXPECT_TRUE(passes(guard, TrackKind::video, 19000));  // the timeline's business, not a replay
}

TEST(ReplayGuard, WithoutAWindowTheGuardIsOff) {
  ReplayGuard guard;
  guard.begin("rtmp://h/app/s", 0);
  forward_video(guard, 10000, 20000);
  guard.begin("rtmp://h/app/s", 0);
  EXPECT_TRUE(passes(guard, TrackKind::video, 0));
}

TEST(ReplayGuard, AnEncoderThatRestartedInsideTheWindowIsNotTakenForAReplay) {
  ReplayGuard guard;
  guard.begin("u", kWindow);
  forward_video(guard, 1400, 16400);  // an encoder ran 15 s, then came back from 1.4 s
  guard.begin("u", kWindow);
  EXPECT_TRUE(guard.passes(TrackKind::video, 1400, 4321));  // other pictures
  EXPECT_TRUE(guard.passes(TrackKind::video, 1440, 20));
}
