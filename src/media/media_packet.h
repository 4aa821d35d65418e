#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "media/av_handles.h"

namespace streamrelay::media {

enum class TrackKind { video, audio };

// One compressed packet; its pts and dts are in milliseconds (time base 1/1000).
struct MediaPacket {
  AvPacketPtr packet;
  TrackKind track = TrackKind::video;
  bool is_keyframe = false;

  int64_t dts() const { return packet->dts; }
  int64_t pts() const { return packet->pts; }
  size_t size() const { return static_cast<size_t>(packet->size); }
};

// One track's codec and its configuration (SPS/PPS, AudioSpecificConfig in extradata).
struct TrackConfig {
  TrackKind kind = TrackKind::video;
  std::shared_ptr<const AVCodecParameters> params;
  AVRational frame_rate = {0, 1};  // video only; 0/1 when unknown
};

// Where a segment comes from in a playlist.
struct PlaylistItem {
  int64_t file_index = 0;
  int64_t loop_round = 0;  // 0 for the first round
  std::string url;         // as given, for reopening
  std::string masked_url;  // for reports
  int64_t start_offset_ms = 0;
  // The same play of the file going on after a pause or an update that kept its position: no
  // new file start is reported.
  bool is_resumed = false;
};

// What a source delivers from one open (or one file) onwards: a new input segment.
struct SegmentInfo {
  uint64_t id = 0;
  std::optional<TrackConfig> video;
  std::optional<TrackConfig> audio;
  int64_t frame_duration_ms = 40;    // for placing the segment one frame after the last output
  std::string url;                   // masked, for reports
  std::optional<PlaylistItem> item;  // set for playlist files
  int64_t file_start_ms = 0;         // the file's first timestamp (positions count from it)
  // A live segment that begins with media already buffered (a standby's packets since its last
  // keyframe, handed over at a switch): the input DTS of the last buffered packet. Paced to real
  // time, so the buffer does not go out in a burst.
  std::optional<int64_t> backlog_last_dts;
  // A live HLS playlist's target duration: its source delivers a segment of about this much
  // media at a time. 0 for a source that delivers media as it is made.
  int64_t playlist_target_ms = 0;

  const std::optional<TrackConfig>& track(TrackKind kind) const {
    return kind == TrackKind::video ? video : audio;
  }
  // Video, then audio; null for a track the segment lacks.
  std::array<const TrackConfig*, 2> tracks() const {
    return {video ? &*video : nullptr, audio ? &*audio : nullptr};
  }
};

// Shares codec parameters between the segments and the sink that read them.
std::shared_ptr<const AVCodecParameters> share_parameters(const AVCodecParameters& params);

// True when two configurations can follow each other in one output without a new session
// (same codec; only the extradata, size or rate may differ).
bool is_same_codec(const AVCodecParameters& a, const AVCodecParameters& b);
bool is_same_extradata(const AVCodecParameters& a, const AVCodecParameters& b);

}  // namespace streamrelay::media
