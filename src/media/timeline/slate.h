#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "media/media_packet.h"

namespace streamrelay::media {

// What keeps a destination session alive when no source can be played: black video and
// silence, encoded once to match the session's codec configuration (size, profile, sample
// rate, channels) and then repeated with advancing timestamps.
class Slate {
 public:
  // nullopt when nothing can be encoded for these tracks (e.g. no H.264 or AAC encoder).
  static std::optional<Slate> make(const SegmentInfo& like);

  // The slate's own segment (its codec configuration, announced when it goes on air).
  std::shared_ptr<const SegmentInfo> segment() const { return segment_; }

  // Restarts the slate's timeline at 0.
  void rewind();
  // The next slate packet whose DTS (ms, from the slate's start) is at most `until_ms`.
  std::optional<MediaPacket> next(int64_t until_ms);

 private:
  std::shared_ptr<SegmentInfo> segment_;
  std::vector<AvPacketPtr> video_loop_;  // one keyframe and the frames after it
  std::vector<AvPacketPtr> audio_loop_;
  int64_t frame_ms_ = 40;
  int64_t audio_frame_samples_ = 1024;
  int sample_rate_ = 44100;
  int64_t video_count_ = 0;
  int64_t audio_count_ = 0;
};

}  // namespace streamrelay::media
