#pragma once

#include <cstdint>
#include <vector>

namespace streamrelay::media::rtmp {

// Message type ids (RTMP specification 1.0, sections 5.4, 6.2 and 7.1).
enum MessageType : uint8_t {
  kSetChunkSize = 1,
  kAbort = 2,
  kAcknowledgement = 3,
  kUserControl = 4,
  kWindowAckSize = 5,
  kSetPeerBandwidth = 6,
  kAudio = 8,
  kVideo = 9,
  kDataAmf0 = 18,
  kCommandAmf0 = 20,
  kAggregate = 22,
};

// One whole message as the chunk layer delivers it.
struct Message {
  uint8_t type = 0;
  uint32_t stream_id = 0;
  uint32_t timestamp = 0;  // milliseconds, absolute
  uint32_t chunk_stream_id = 0;
  std::vector<uint8_t> payload;
};

}  // namespace streamrelay::media::rtmp
