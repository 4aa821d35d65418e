#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace streamrelay::media::rtmp {

// One message to send; the payload is borrowed for the call.
struct OutgoingMessage {
  uint32_t chunk_stream_id = 3;  // 2 to 65599; 2 is for protocol control messages
  uint8_t type = 0;
  uint32_t stream_id = 0;
  uint32_t timestamp = 0;
  std::span<const uint8_t> payload;
  // Bytes of the payload that come before `payload` (a tag body's header before the media data,
  // which is not copied to be joined).
  std::span<const uint8_t> prefix = {};
};

// Turns messages into chunks (RTMP specification 1.0, section 5.3) the way the client sends
// them: a type 0 header on every message, so no chunk depends on the one before, then a type 3
// header before each further chunk_size() bytes, repeating the extended timestamp as servers
// expect. No I/O: chunks are appended to the caller's buffer, so one send can carry many.
class ChunkWriter {
 public:
  // Takes effect for the next message; the caller sends Set Chunk Size before it.
  void set_chunk_size(uint32_t size) { chunk_size_ = size > 0 ? size : 1; }
  uint32_t chunk_size() const { return chunk_size_; }

  void append(std::vector<uint8_t>& out, const OutgoingMessage& message) const;

 private:
  uint32_t chunk_size_ = 128;  // until this side sends Set Chunk Size (section 5.4.1)
};

}  // namespace streamrelay::media::rtmp
