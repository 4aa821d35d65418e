#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>

#include "media/media_packet.h"

namespace streamrelay::media {

// A live HLS source that is opened again starts a segment or two behind its live edge, so it
// hands over again media the destination already has. The guard remembers, per track, the
// packets (DTS and size) forwarded from one source URL; after a reopen of that URL, a track's
// packets it remembers are replays, until the first one it does not. A packet it does not
// remember, or one further back than `window_ms`, means the source restarted its timeline
// (an encoder that came back with timestamps from the start), and it passes.
class ReplayGuard {
 public:
  // A new open of `url`. A window of 0 (a source that does not replay) turns the guard off.
  void begin(const std::string& url, int64_t window_ms);
  // True when the packet is new; it is then remembered as forwarded.
  bool passes(TrackKind track, int64_t dts, size_t size);

 private:
  // At most this many packets are remembered per track (over a minute of video or audio).
  static constexpr size_t kMaxRemembered = 4096;

  struct TrackState {
    std::deque<std::pair<int64_t, size_t>> forwarded;  // (DTS, size), oldest first
    bool is_resuming = false;  // reopened, and no new packet of the track yet
  };

  bool is_replay(const TrackState& track, int64_t dts, size_t size) const;
  void remember(TrackState& track, int64_t dts, size_t size);

  std::string url_;
  int64_t window_ms_ = 0;
  std::array<TrackState, 2> tracks_;
};

}  // namespace streamrelay::media
