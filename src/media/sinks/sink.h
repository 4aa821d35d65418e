#pragma once

#include <optional>
#include <string>

#include "media/media_packet.h"

namespace streamrelay::media {

struct SinkError {
  std::string message;
  // The destination does not take a track's codec: the same stream would fail the same way.
  bool is_unsupported = false;
};

// A destination session: connect with the tracks of a segment, write packets, close.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::optional<SinkError> connect(const std::string& url, const SegmentInfo& layout) = 0;
  virtual bool is_connected() const = 0;
  // True if this segment's tracks can follow in the current session (same codecs, no track
  // missing from the header that the segment needs).
  virtual bool can_continue_with(const SegmentInfo& segment) const = 0;
  // Writes one packet with output timestamps; `new_config` announces changed codec configuration.
  virtual std::optional<SinkError> write(MediaPacket& packet, const TrackConfig* new_config) = 0;
  virtual void close() = 0;
  // With batching on, write() may hold data until flush(): a live leg sends a batch at once.
  virtual void set_batching(bool is_batching) { (void)is_batching; }
  virtual std::optional<SinkError> flush() { return std::nullopt; }
};

}  // namespace streamrelay::media
