#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "media/media_packet.h"

namespace streamrelay::media {

// Maps input timestamps (ms) of successive input segments onto one continuous output timeline
// per push session, starting at 0. Each segment is placed one frame after the last video DTS
// (the last DTS of any track without video) with one offset for all tracks (A/V sync kept);
// inside a segment timing passes unchanged.
// A track whose input jumps backwards, or forwards by more than kMaxForwardJumpMs, is a
// discontinuity: that track is re-placed after the last output, never sent backwards.
class TimelineRebaser {
 public:
  // Larger forward jumps are a source restart, not a pause.
  static constexpr int64_t kMaxForwardJumpMs = 10000;
  // Smaller steps back are reordering at a boundary: the packet is dropped, not re-anchored.
  static constexpr int64_t kBackwardToleranceMs = 1000;

  struct Mapped {
    int64_t dts;
    int64_t pts;
  };

  // The next packet begins a new input segment; `frame_ms` is its frame duration.
  void begin_segment(int64_t frame_ms);
  // A new push session: the next packet is placed at 0.
  void reset_session();

  // The output timestamps of a packet, or nullopt when it must be dropped (it precedes the
  // segment's start point, or would not move its track forward).
  std::optional<Mapped> map(TrackKind track, int64_t dts, int64_t pts);

  std::optional<int64_t> last_dts() const;
  // The last output DTS of one track, and whether the track has begun the current segment.
  std::optional<int64_t> last_out(TrackKind track) const {
    return tracks_[track == TrackKind::video ? 0 : 1].last_out;
  }
  bool has_started_segment(TrackKind track) const {
    return tracks_[track == TrackKind::video ? 0 : 1].has_started_in_segment;
  }

 private:
  struct TrackState {
    int64_t offset = 0;
    std::optional<int64_t> last_out;
    bool has_started_in_segment = false;
  };

  int64_t next_start_point() const;
  TrackState& state(TrackKind track) { return tracks_[track == TrackKind::video ? 0 : 1]; }

  std::array<TrackState, 2> tracks_;
  bool is_anchored_ = false;
  int64_t segment_start_ = 0;
  int64_t frame_ms_ = 40;
};

}  // namespace streamrelay::media
