#include <gtest/gtest.h>

#include "media/timeline_rebaser.h"

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

TEST(TimelineRebaser, ASmallStepBackIsDroppedSoOutputNeverGoesBackwards) {
  TimelineRebaser rebaser;
  rebaser.begin_segment(40);
  dts_of(rebaser, TrackKind::video, 1000);
  dts_of(rebaser, TrackKind::video, 1040);
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 1020), -1);
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 1040), -1);
  EXPECT_EQ(dts_of(rebaser, TrackKind::video, 1080), 80);
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
