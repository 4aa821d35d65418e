#include "support/rtmp_peer_connection.h"

#include <poll.h>
#include <sys/socket.h>

namespace streamrelay::test_support {
namespace {

using namespace media::rtmp;

constexpr size_t kHandshakeSize = 1536;
constexpr int kPollSliceMs = 50;
// Read bytes are dropped from the front of the buffer once this many pile up.
constexpr size_t kCompactAfter = 64 * 1024;

}  // namespace

std::vector<uint8_t> be32(uint32_t value) {
  return {static_cast<uint8_t>(value >> 24), static_cast<uint8_t>(value >> 16),
          static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)};
}

bool RtmpPeerConnection::receive_some(int timeout_ms) {
  if (is_stopping_) return false;
  pollfd entry{fd_, POLLIN, 0};
  if (poll(&entry, 1, timeout_ms) <= 0) return !is_stopping_;
  uint8_t buffer[65536];
  ssize_t got = recv(fd_, buffer, sizeof buffer, 0);
  if (got <= 0) return false;
  in_.insert(in_.end(), buffer, buffer + got);
  return true;
}

bool RtmpPeerConnection::receive_exactly(size_t size, std::vector<uint8_t>& out) {
  while (in_.size() - in_pos_ < size) {
    if (!receive_some(kPollSliceMs)) return false;
  }
  out.assign(in_.begin() + static_cast<long>(in_pos_),
             in_.begin() + static_cast<long>(in_pos_ + size));
  in_pos_ += size;
  return true;
}

bool RtmpPeerConnection::handshake() {
  std::vector<uint8_t> c0c1;
  std::vector<uint8_t> c2;
  if (!receive_exactly(1 + kHandshakeSize, c0c1)) return false;
  std::vector<uint8_t> reply(1 + kHandshakeSize, 0);  // S0 and S1: version 3, time 0, zeros
  reply[0] = 3;
  reply.insert(reply.end(), c0c1.begin() + 1, c0c1.end());  // S2 echoes C1
  return send_bytes(reply) && receive_exactly(kHandshakeSize, c2);
}

std::optional<bool> RtmpPeerConnection::take_buffered(Message& out) {
  ChunkReader::Result result = reader_.read({in_.data() + in_pos_, in_.size() - in_pos_}, out);
  in_pos_ += result.consumed;
  if (in_pos_ > kCompactAfter) {
    in_.erase(in_.begin(), in_.begin() + static_cast<long>(in_pos_));
    in_pos_ = 0;
  }
  if (result.status == ChunkReader::Status::kError) return false;
  if (result.status != ChunkReader::Status::kMessage) return std::nullopt;
  if (out.type == kAcknowledgement) {
    sent_since_acknowledgement_ = 0;
    ++acknowledgements_;
  }
  return true;
}

bool RtmpPeerConnection::read_message(Message& out) {
  for (;;) {
    if (std::optional<bool> taken = take_buffered(out)) return *taken;
    if (!receive_some(kPollSliceMs)) return false;
  }
}

bool RtmpPeerConnection::pump(int timeout_ms) {
  if (!receive_some(timeout_ms)) return false;
  Message ignored;
  while (std::optional<bool> taken = take_buffered(ignored)) {
    if (!*taken) return false;
  }
  return true;
}

bool RtmpPeerConnection::send_bytes(const std::vector<uint8_t>& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  sent_since_acknowledgement_ += bytes.size();
  return true;
}

bool RtmpPeerConnection::send(uint32_t chunk_stream_id, uint8_t type, uint32_t stream_id,
                              uint32_t timestamp, std::span<const uint8_t> payload) {
  std::vector<uint8_t> out;
  writer_.append(out, {.chunk_stream_id = chunk_stream_id,
                       .type = type,
                       .stream_id = stream_id,
                       .timestamp = timestamp,
                       .payload = payload});
  return send_bytes(out);
}

bool RtmpPeerConnection::set_chunk_size(uint32_t size) {
  if (!send(2, kSetChunkSize, 0, 0, be32(size))) return false;
  writer_.set_chunk_size(size);
  return true;
}

}  // namespace streamrelay::test_support
