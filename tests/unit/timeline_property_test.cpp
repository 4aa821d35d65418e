// Property tests of the output timeline: random sequences of packets with clock resets, jumps
// forward and back, reordering, equal timestamps, missing tracks, B-frames and new segments;
// on every output the invariants hold.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "media/timeline/timeline_rebaser.h"

using streamrelay::media::TimelineRebaser;
using streamrelay::media::TrackKind;

namespace {

constexpr int kSequences = 10000;
constexpr int64_t kVideoFrameMs = 40;
constexpr int64_t kAudioFrameMs = 23;

struct Input {
  TrackKind track;
  int64_t dts;
  int64_t pts;
  bool is_segment_start;
};

// One source's packets: two interleaved tracks on one clock, with the troubles sources have.
std::vector<Input> random_sequence(std::mt19937& random) {
  std::uniform_int_distribution<int> percent(0, 99);
  bool has_video = percent(random) < 90;
  bool has_audio = !has_video || percent(random) < 90;
  int64_t clock = std::uniform_int_distribution<int64_t>(0, int64_t{1} << 32)(random);
  int64_t audio_lead = std::uniform_int_distribution<int64_t>(-100, 100)(random);
  std::vector<Input> out;
  int64_t video_at = clock;
  int64_t audio_at = clock + audio_lead;
  for (int i = 0; i < 200; ++i) {
    int trouble = percent(random);
    if (trouble < 2) {  // the clock resets (an encoder restart): both tracks together
      int64_t reset = std::uniform_int_distribution<int64_t>(0, 100000)(random);
      audio_at = reset + (audio_at - video_at);
      video_at = reset;
    } else if (trouble < 3) {  // a jump forward past the threshold
      video_at += 20000;
      audio_at += 20000;
    }
    bool is_segment_start = percent(random) < 2;
    bool is_video = has_video && (!has_audio || video_at <= audio_at);
    if (is_video) {
      int64_t pts = video_at + (percent(random) < 30 ? 2 * kVideoFrameMs : 0);  // B-frames
      out.push_back({TrackKind::video, video_at, pts, is_segment_start});
      video_at += percent(random) < 3 ? -kVideoFrameMs / 2 : kVideoFrameMs;  // reordering
    } else {
      out.push_back({TrackKind::audio, audio_at, audio_at, is_segment_start});
      audio_at += percent(random) < 3 ? 0 : kAudioFrameMs;  // equal timestamps
    }
  }
  return out;
}

}  // namespace

TEST(TimelineProperties, EveryOutputTrackStrictlyIncreasesAndKeepsPtsAtOrAfterDts) {
  std::mt19937 random(20261201);
  for (int sequence = 0; sequence < kSequences; ++sequence) {
    TimelineRebaser timeline;
    timeline.begin_segment(kVideoFrameMs);
    std::map<TrackKind, int64_t> last;
    int64_t mapped_video = 0;
    int64_t inputs_video = 0;
    for (const Input& input : random_sequence(random)) {
      if (input.is_segment_start) timeline.begin_segment(kVideoFrameMs);
      auto out = timeline.map(input.track, input.dts, input.pts);
      if (input.track == TrackKind::video) ++inputs_video;
      if (!out) continue;
      if (input.track == TrackKind::video) ++mapped_video;
      ASSERT_GE(out->pts, out->dts) << "sequence " << sequence;
      if (last.count(input.track)) {
        ASSERT_GT(out->dts, last[input.track]) << "sequence " << sequence << " went back";
      }
      last[input.track] = out->dts;
    }
    // Only a segment's start drops (what comes before its first packet); everything else of
    // the video is kept, reference frames included.
    ASSERT_GE(mapped_video + timeline.counters().trimmed, inputs_video) << "sequence " << sequence;
  }
}

TEST(TimelineProperties, AfterAClockResetTheAvOffsetIsWithinOneAudioFrameOfBefore) {
  std::mt19937 random(7);
  for (int sequence = 0; sequence < kSequences; ++sequence) {
    TimelineRebaser timeline;
    timeline.begin_segment(kVideoFrameMs);
    int64_t lead = std::uniform_int_distribution<int64_t>(-100, 100)(random);
    int64_t clock = std::uniform_int_distribution<int64_t>(0, 1000000)(random);
    int64_t reset = std::uniform_int_distribution<int64_t>(0, 1000000)(random);
    bool audio_first = random() % 2 == 0;
    auto feed = [&](int64_t base, int frames) {
      int64_t v_out = 0, a_out = 0;
      for (int i = 0; i < frames; ++i) {
        auto push = [&](TrackKind track, int64_t at) {
          auto out = timeline.map(track, at, at);
          if (out) (track == TrackKind::video ? v_out : a_out) = out->dts - at;
        };
        if (audio_first) push(TrackKind::audio, base + lead + i * kVideoFrameMs);
        push(TrackKind::video, base + i * kVideoFrameMs);
        if (!audio_first) push(TrackKind::audio, base + lead + i * kVideoFrameMs);
      }
      return a_out - v_out;  // how the output shifted audio against video
    };
    int64_t before = feed(clock, 50);
    int64_t after = feed(reset, 50);
    ASSERT_LE(std::llabs(after - before), kAudioFrameMs)
        << "sequence " << sequence << ": lead " << lead << ", audio first " << audio_first;
  }
}
