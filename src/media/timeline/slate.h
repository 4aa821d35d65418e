#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "media/media_packet.h"

namespace streamrelay::media {

// What keeps a destination session alive when no source can be played: black video and
// silence, encoded once to match the session's codec configuration (size, profile, sample
// rate, channels) and then repeated with advancing timestamps. Copies share the encoded
// packets; each has its own timeline.
class Slate {
 public:
  // nullopt when nothing can be encoded for these tracks (e.g. no H.264 or AAC encoder).
  static std::optional<Slate> make(const SegmentInfo& like);
  // What make() encodes for: two segments with the same key get the same slate.
  static std::string key_of(const SegmentInfo& like);

  // The slate's own segment (its codec configuration, announced when it goes on air).
  std::shared_ptr<const SegmentInfo> segment() const { return segment_; }

  // Restarts the slate's timeline at 0.
  void rewind();
  // The next slate packet whose DTS (ms, from the slate's start) is at most `until_ms`.
  std::optional<MediaPacket> next(int64_t until_ms);

 private:
  std::shared_ptr<SegmentInfo> segment_;
  using Loop = std::vector<AvPacketPtr>;
  std::shared_ptr<const Loop> video_loop_;  // one keyframe and the frames after it
  std::shared_ptr<const Loop> audio_loop_;
  int64_t frame_ms_ = 40;
  int64_t audio_frame_samples_ = 1024;
  int sample_rate_ = 44100;
  int64_t video_count_ = 0;
  int64_t audio_count_ = 0;
};

// Slates already encoded, by Slate::key_of(): the relays of one source share one encode (a
// source lost by thousands of relays at once had each encode its own, a storm of encoders).
// Failures are kept too: the same configuration would fail again.
class SlateCache {
 public:
  static SlateCache& shared();
  SlateCache() = default;

  enum class Claim {
    kReady,  // `slate` is set: the cached one (nullopt if it could not be encoded)
    kMine,   // the caller encodes it and hands it to finish()
    kBusy,   // another caller is encoding it: ask again a little later
  };
  Claim find_or_claim(const std::string& key, std::optional<Slate>& slate);
  void finish(const std::string& key, const std::optional<Slate>& slate);
  // The claimant could not finish (an exception): the next caller claims it again.
  void abandon(const std::string& key);
  // For a kMine claim: what `make` encodes is kept for the others (finish); when it throws,
  // the claim is given up (abandon) and the exception goes on.
  template <class Make>
  std::optional<Slate> fill_claim(const std::string& key, Make&& make) {
    try {
      std::optional<Slate> slate = make();
      finish(key, slate);
      return slate;
    } catch (...) {
      abandon(key);
      throw;
    }
  }

 private:
  static constexpr size_t kMaxEntries = 64;
  struct Entry {
    bool is_ready = false;
    std::optional<Slate> slate;
    uint64_t last_use = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  uint64_t uses_ = 0;
};

}  // namespace streamrelay::media
