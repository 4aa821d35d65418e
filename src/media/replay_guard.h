#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "media/media_packet.h"

namespace streamrelay::media {

// A live HLS source that is opened again starts a segment or two behind its live edge, so it
// hands over again media the destination already has. The guard remembers, per track, the last
// source DTS forwarded from one source URL; after a reopen of that URL, a track's packets up to
// it are replays until the first one after it. Only a bounded window counts: a packet further
// back than `window_ms` means the source restarted its timeline, and it passes.
class ReplayGuard {
 public:
  // A new open of `url`. A window of 0 (a source that does not replay) turns the guard off.
  void begin(const std::string& url, int64_t window_ms);
  // True when the packet is new; it is then remembered as forwarded.
  bool passes(TrackKind track, int64_t dts);

 private:
  struct TrackState {
    std::optional<int64_t> last_dts;
    bool is_resuming = false;  // reopened, and no new packet of the track yet
  };

  std::string url_;
  int64_t window_ms_ = 0;
  std::array<TrackState, 2> tracks_;
};

}  // namespace streamrelay::media
