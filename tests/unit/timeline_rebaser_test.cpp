#include <gtest/gtest.h>

#include "media/timeline/timeline_rebaser.h"

using streamrelay::media::TimelineRebaser;
using streamrelay::media::TrackKind;

namespace {

int64_t dts_of(TimelineRebaser& rebaser, TrackKind track, int64_t dts) {
  auto mapped = rebaser.map(track, dts, dts);
  return mapped ? mapped->dts : -1;
}

}  // namespace

TEST(TimelineRebaser, GivenTheFirstSegmentItsKeyframeLandsAtZero) {
  TimelineRebaser rebaser;
  rebaser.begin_segment(40);
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 123456), 0);
  EXPECT_EQ(dts_of(rebaser, TrackKind::audio, 123470), 14);
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 123496), 40);
}

TEST(TimelineRebaser, GivenANewSegmentItContinuesOneFrameAfterTheLastOutput) {
  TimelineRebaser rebaser;
  rebaser.begin_segment(40);
  for (int64_t t = 0; t <= 4000; t += 40) dts_of(rebaser, TrackKind::video, 5000 + t);
  rebaser.begin_segment(40);  // a reconnected source with a new timestamp base
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 0), 4040);
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 40), 4080);
}

TEST(TimelineRebaser, AudioBeforeTheSegmentKeyframeIsDropped) {
  TimelineRebaser rebaser;
  rebaser.begin_segment(40);
  dts_of(rebaser, TrackKind::video, 1000);
  EXPECT_EQ(dts_of(rebaser, TrackKind::audio, 990), -1);
  EXPECT_EQ(dts_of(rebaser, TrackKind::audio, 1010), 10);
}

TEST(TimelineRebaser, SyncBetweenTracksIsKeptInsideASegment) {
  TimelineRebaser rebaser;
  rebaser.begin_segment(40);
  dts_of(rebaser, TrackKind::video, 0);
  dts_of(rebaser, TrackKind::audio, 23);
  rebaser.begin_segment(40);
  int64_t video = dts_of(rebaser, TrackKind::video, 90000);
  int64_t audio = dts_of(rebaser, TrackKind::audio, 90007);
  EXPECT_EQ(audio - video, 7);
}

TEST(TimelineRebaser, ABackwardJumpInsideASourceIsReanchoredNotPassedOn) {
  TimelineRebaser rebaser;
  rebaser.begin_segment(40);
  for (int64_t t = 0; t <= 10000; t += 40) dts_of(rebaser, TrackKind::video, t);
  int64_t after = dts_of(rebaser, TrackKind::video, 0);  // the source restarted its clock
  EXPECT_EQ(after, 10040);
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 40), 10080);
}

TEST(TimelineRebaser, AHugeForwardJumpIsReanchored) {
  TimelineRebaser rebaser;
  rebaser.begin_segment(40);
  dts_of(rebaser, TrackKind::video, 0);
  dts_of(rebaser, TrackKind::video, 40);
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 3600000), 80);
}

TEST(TimelineRebaser, ASmallStepBackIsRetimedNotDroppedSoNoReferenceFrameIsLost) {
  TimelineRebaser rebaser;
  rebaser.begin_segment(40);
  dts_of(rebaser, TrackKind::video, 1000);
  dts_of(rebaser, TrackKind::video, 1040);
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 1020), 41);  // just after the last, kept
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 1040), 42);  // an equal DTS too
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 1080), 80);
  EXPECT_EQ(rebaser.counters().retimed, 2);
}

TEST(TimelineRebaser, AClockResetWithAudioAheadAndArrivingFirstNeverSendsAudioBackwards) {
  // Audio runs 80 ms ahead of video; the source's clock resets; its audio arrives first.
  TimelineRebaser rebaser;
  rebaser.begin_segment(40);
  int64_t last_audio = 0;
  for (int64_t t = 0; t <= 10000; t += 40) {
    dts_of(rebaser, TrackKind::video, t);
    last_audio = dts_of(rebaser, TrackKind::audio, t + 80);
  }
  // The audio ahead of the video's jump waits for it (dropped, never sent back).
  EXPECT_EQ(dts_of(rebaser, TrackKind::audio, 80), -1);
  int64_t video = dts_of(rebaser, TrackKind::video, 0);
  EXPECT_EQ(video, 10040) << "one frame after the last picture";
  int64_t audio = -1;
  for (int64_t t = 40; audio < 0 && t < 400; t += 40) {
    dts_of(rebaser, TrackKind::video, t);
    audio = dts_of(rebaser, TrackKind::audio, t + 80);
    if (audio >= 0) {
      EXPECT_EQ(audio - (10040 + t), 80) << "the A/V offset did not survive";
    }
  }
  EXPECT_GT(audio, last_audio) << "audio went back";
  EXPECT_EQ(rebaser.counters().discontinuities, 2);
}

TEST(TimelineRebaser, ANewSessionStartsAtZero) {
  TimelineRebaser rebaser;
  rebaser.begin_segment(40);
  dts_of(rebaser, TrackKind::video, 1000);
  dts_of(rebaser, TrackKind::video, 5000);
  rebaser.reset_session();
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 7000), 0);
}

TEST(TimelineRebaser, PtsKeepsItsOffsetFromDts) {
  TimelineRebaser rebaser;
  rebaser.begin_segment(40);
  auto mapped = rebaser.map(TrackKind::video, 1000, 1080);
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->dts, 0);
  EXPECT_EQ(mapped->pts, 80);
}

TEST(TimelineRebaser, AudioThatRanPastTheVideoIsTrimmedAtTheNextSegment) {
  TimelineRebaser rebaser;
  rebaser.begin_segment(40);
  dts_of(rebaser, TrackKind::video, 0);
  dts_of(rebaser, TrackKind::video, 40);
  dts_of(rebaser, TrackKind::audio, 100);  // the file's audio ends after its video
  rebaser.begin_segment(40);
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 0), 80);  // one frame after the last video
  EXPECT_EQ(dts_of(rebaser, TrackKind::audio, 0), -1);  // overlaps the old audio: trimmed
  EXPECT_EQ(dts_of(rebaser, TrackKind::audio, 23), 103);
  EXPECT_EQ(dts_of(rebaser, TrackKind::audio, 46), 126);
}
