#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "media/media_packet.h"
#include "media/timeline/slate.h"

namespace streamrelay::media {

// Silent audio frames for a hole in the audio of one timeline: a source that restarts may lose
// its last audio while its pictures arrived (an MPEG-TS muxer holds audio back in its PES
// packets), and players hear a jump where the next segment begins. Encoded once per audio
// configuration (with the slate's encoder) and repeated.
class SilenceFiller {
 public:
  // Holes of at most this long are filled; a longer one is a real pause (the slate's business).
  static constexpr int64_t kMaxHoleMs = 2000;

  // Silent frames of `config` for the hole between `last_dts` (the last audio written) and
  // `next_dts` (the next one): none unless the hole is over a frame and a half.
  std::vector<MediaPacket> fill(const TrackConfig& config, int64_t last_dts, int64_t next_dts);

 private:
  std::optional<Slate> silence_;
  std::shared_ptr<const AVCodecParameters> silence_for_;
};

}  // namespace streamrelay::media
