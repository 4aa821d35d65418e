#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>

#include "media/media_packet.h"

namespace streamrelay::media {

// Puts the packets of a file in DTS order across tracks. Demuxers hand out a file's packets
// in storage order, which for a badly interleaved file can put one track seconds ahead of the
// other; a live output needs them interleaved. A packet is released once every track of the
// segment has a later one waiting, or once the waiting span exceeds the window (a track that
// ended, or one stored further apart than the window allows).
class DtsInterleaver {
 public:
  // How far apart tracks may be stored before packets are released out of order anyway.
  static constexpr int64_t kWindowMs = 5000;

  // The tracks the next packets belong to (a track absent from the file is never waited for).
  void begin(bool has_video, bool has_audio);
  void push(MediaPacket packet);
  // The next packet in DTS order, when it may go.
  std::optional<MediaPacket> pop();
  // At the end of the file: the remaining packets, in DTS order, one at a time.
  std::optional<MediaPacket> drain();
  bool is_empty() const { return queues_[0].empty() && queues_[1].empty(); }

 private:
  std::optional<MediaPacket> take_earliest();
  static size_t slot(TrackKind kind) { return kind == TrackKind::video ? 0 : 1; }

  std::array<std::deque<MediaPacket>, 2> queues_;
  std::array<bool, 2> is_expected_{false, false};
};

}  // namespace streamrelay::media
