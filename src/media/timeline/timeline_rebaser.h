#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "media/media_packet.h"

namespace streamrelay::media {

// The one output timeline of a push session (ms, starting at 0), mapped from every input
// timeline: sources, standby, slate, playlist files, loop rounds. Pure: no I/O.
// - A new input segment is placed one frame after the last video written (the last of any
//   track without video), with one offset for all tracks: A/V sync as the input had it.
// - A discontinuity inside a segment (a track's input jumping back by kBackwardJumpMs or more, or
//   forward by more than kMaxForwardJumpMs) is placed like a new segment: one offset, set where
//   the video jumps (one frame after its last), that the audio adopts, so A/V sync survives the
//   jump. Audio that jumps before the video waits for it (its packets dropped meanwhile, as
//   before a segment's keyframe), unless the video does not follow within kAgreementMs.
// - Every track's output strictly increases: a packet that would not move its track forward
//   (reordering, equal timestamps) is re-timed just after the last one, never dropped; a
//   reference frame dropped would corrupt pictures until the next keyframe.
// Only the start of a segment drops: packets before its keyframe, and audio overlapping what
// was already written (the previous segment's audio ran past its video).
class TimelineRebaser {
 public:
  // Larger forward jumps are a source restart, not a pause.
  static constexpr int64_t kMaxForwardJumpMs = 10000;
  // Steps back at least this large are a new clock (no sane track steps back by several
  // frames), smaller ones reordering to re-time.
  static constexpr int64_t kBackwardJumpMs = 250;
  // Two tracks jumping to timestamps this close are taken as one discontinuity.
  static constexpr int64_t kAgreementMs = 2000;

  struct Mapped {
    int64_t dts;
    int64_t pts;
  };

  struct Counters {
    int64_t discontinuities = 0;
    int64_t retimed = 0;  // packets moved forward to keep their track increasing
    int64_t trimmed = 0;  // packets dropped at a segment's start
  };

  // The next packet begins a new input segment; `frame_ms` is its frame duration.
  void begin_segment(int64_t frame_ms);
  // A new push session: the next packet is placed at `start_ms` (0 but in tests of long
  // sessions).
  void reset_session(int64_t start_ms = 0);

  // The output timestamps of a packet, or nullopt when it must be dropped (it precedes the
  // segment's start point).
  std::optional<Mapped> map(TrackKind track, int64_t dts, int64_t pts);

  std::optional<int64_t> last_dts() const;
  // The last output DTS of one track, and whether the track has begun the current segment.
  std::optional<int64_t> last_out(TrackKind track) const { return state(track).last_out; }
  bool has_started_segment(TrackKind track) const { return state(track).has_started; }
  const Counters& counters() const { return counters_; }

 private:
  struct TrackState {
    int64_t offset = 0;
    std::optional<int64_t> last_in;
    std::optional<int64_t> last_out;
    bool has_started = false;
    // Jumped to a new clock whose offset the video has not set yet: since this input time.
    std::optional<int64_t> awaiting_since;
    // Audio that adopted the video's new clock drops what falls under what it already wrote.
    bool trims_overlap = false;
  };
  // A discontinuity the video has met and the audio may still meet.
  struct Epoch {
    int64_t offset;
    int64_t first_in;
  };

  int64_t next_start_point() const;
  bool is_jump(const TrackState& track, int64_t dts) const;
  // Maps a packet of `track` after it jumped; nullopt while it waits for the video's offset.
  std::optional<Mapped> map_after_jump(TrackKind kind, TrackState& track, int64_t dts, int64_t pts);
  std::optional<Mapped> start_track(TrackState& track, int64_t dts, int64_t pts);
  std::optional<Mapped> place(TrackState& track, int64_t dts, int64_t pts);
  TrackState& state(TrackKind track) { return tracks_[track == TrackKind::video ? 0 : 1]; }
  const TrackState& state(TrackKind track) const {
    return tracks_[track == TrackKind::video ? 0 : 1];
  }

  std::array<TrackState, 2> tracks_;
  bool is_anchored_ = false;
  int64_t segment_start_ = 0;
  int64_t segment_offset_ = 0;
  int64_t frame_ms_ = 40;
  int64_t session_start_ = 0;
  std::optional<Epoch> pending_epoch_;
  Counters counters_;
};

}  // namespace streamrelay::media
