#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "media/rtmp/codec/chunk_reader.h"
#include "media/rtmp/codec/chunk_writer.h"

namespace streamrelay::test_support {

// The server side of one RTMP connection: the plain handshake, then whole messages in and out
// through the service's own chunk reader and writer. Blocking calls that look at the stop flag
// every 50 ms; the socket stays the caller's.
class RtmpPeerConnection {
 public:
  RtmpPeerConnection(int fd, const std::atomic<bool>& is_stopping)
      : fd_(fd), is_stopping_(is_stopping) {}

  // S0, S1 and S2 (an echo of C1) for C0, C1 and C2.
  bool handshake();
  // The next whole message; false once the connection ended, broke or the peer stops.
  bool read_message(media::rtmp::Message& out);
  // Reads whatever comes for up to `timeout_ms` (acknowledgements, while sending); false once
  // the connection ended.
  bool pump(int timeout_ms);
  bool send(uint32_t chunk_stream_id, uint8_t type, uint32_t stream_id, uint32_t timestamp,
            std::span<const uint8_t> payload);
  // Announces the size (Set Chunk Size), then chunks by it.
  bool set_chunk_size(uint32_t size);

  // Bytes sent since the client's last acknowledgement came.
  uint64_t unacknowledged() const { return sent_since_acknowledgement_; }
  int acknowledgements() const { return acknowledgements_; }

 private:
  // False once the connection ended or the peer stops; true after data came or the timeout.
  bool receive_some(int timeout_ms);
  bool receive_exactly(size_t size, std::vector<uint8_t>& out);
  // A message from what is buffered: true, none whole yet, or false for a broken stream.
  std::optional<bool> take_buffered(media::rtmp::Message& out);
  bool send_bytes(const std::vector<uint8_t>& bytes);

  int fd_;
  const std::atomic<bool>& is_stopping_;
  media::rtmp::ChunkReader reader_;
  media::rtmp::ChunkWriter writer_;
  std::vector<uint8_t> in_;
  size_t in_pos_ = 0;
  uint64_t sent_since_acknowledgement_ = 0;
  int acknowledgements_ = 0;
};

std::vector<uint8_t> be32(uint32_t value);

}  // namespace streamrelay::test_support
