#include "media/timeline/silence_filler.h"

#include <cmath>

namespace streamrelay::media {

std::vector<MediaPacket> SilenceFiller::fill(const TrackConfig& config, int64_t last_dts,
                                             int64_t next_dts) {
  std::vector<MediaPacket> frames;
  int sample_rate = config.params->sample_rate > 0 ? config.params->sample_rate : 44100;
  double frame_ms = 1024.0 * 1000 / sample_rate;
  int64_t hole = next_dts - last_dts;
  if (hole <= frame_ms * 1.5 || hole > kMaxHoleMs) return frames;
  if (!silence_ || silence_for_ != config.params) {
    SegmentInfo like;
    like.audio = config;
    // Encoded once per configuration for the node; while another relay encodes the same one,
    // this one encodes its own rather than wait (a few milliseconds of AAC).
    std::string key = Slate::key_of(like);
    std::optional<Slate> shared;
    switch (SlateCache::shared().find_or_claim(key, shared)) {
      case SlateCache::Claim::kReady:
        silence_ = std::move(shared);
        break;
      case SlateCache::Claim::kMine:
        silence_ = SlateCache::shared().fill_claim(key, [&] { return Slate::make(like); });
        break;
      case SlateCache::Claim::kBusy:
        silence_ = Slate::make(like);
        break;
    }
    silence_for_ = config.params;
  }
  if (!silence_ || !silence_->segment()->audio) return frames;
  // Whole frames after the last one, so that the step to the next is at most a frame and a
  // half (and over half a frame: no overlap).
  auto count =
      static_cast<int64_t>(std::ceil((static_cast<double>(hole) - 1.5 * frame_ms) / frame_ms));
  for (int64_t k = 1; k <= count; ++k) {
    silence_->rewind();
    auto packet = silence_->next(0);
    if (!packet) break;
    int64_t dts = last_dts + static_cast<int64_t>(std::llround(static_cast<double>(k) * frame_ms));
    packet->packet->dts = packet->packet->pts = dts;
    frames.push_back(std::move(*packet));
  }
  return frames;
}

}  // namespace streamrelay::media
