// Byte-level helpers for the RTMP chunk tests: chunk streams from the RTMP specification 1.0
// (section 5.3 and its examples in 5.3.2) and a reader fed the way a socket delivers bytes.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "media/rtmp/codec/chunk_reader.h"

namespace rtmp_test {

using streamrelay::media::rtmp::ChunkLimits;
using streamrelay::media::rtmp::ChunkReader;
using streamrelay::media::rtmp::Message;

using Bytes = std::vector<uint8_t>;

inline Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// `size` payload bytes counting up from `first`, so a misplaced byte shows.
inline Bytes payload(size_t size, uint8_t first = 0) {
  Bytes bytes(size);
  std::iota(bytes.begin(), bytes.end(), first);
  return bytes;
}

inline Bytes slice(const Bytes& bytes, size_t from, size_t size) {
  return Bytes(bytes.begin() + static_cast<long>(from),
               bytes.begin() + static_cast<long>(from + size));
}

inline Bytes be32(uint32_t value) {
  return {static_cast<uint8_t>(value >> 24), static_cast<uint8_t>(value >> 16),
          static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)};
}

// A sub-message of an aggregate (section 7.1.6): type, length, timestamp with its top byte
// last (as in an FLV tag, as nginx-rtmp and FFmpeg read them), stream id, then the back pointer.
inline Bytes aggregate_part(uint8_t type, uint32_t timestamp, const Bytes& data) {
  auto size = static_cast<uint32_t>(data.size());
  Bytes length = slice(be32(size), 1, 3);
  Bytes low_three = slice(be32(timestamp), 1, 3);
  Bytes top = {static_cast<uint8_t>(timestamp >> 24)};
  return Bytes{type} + length + low_three + top + Bytes{0, 0, 1} + data + be32(size + 11);
}

// Set Chunk Size (section 5.4.1): chunk stream 2, message stream 0, type 1, four bytes.
inline Bytes set_chunk_size(uint32_t size) {
  return Bytes{0x02, 0, 0, 0, 0, 0, 4, 0x01, 0, 0, 0, 0} + be32(size);
}

// Keeps what the reader leaves, as the client's receive buffer does, and collects messages.
class Feeder {
 public:
  explicit Feeder(ChunkLimits limits = {}) : reader_(limits) {}

  ChunkReader::Result feed(const Bytes& bytes) {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    for (;;) {
      Message message;
      ChunkReader::Result result = reader_.read(buffer_, message);
      EXPECT_LE(result.consumed, buffer_.size());
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<long>(result.consumed));
      if (result.status != ChunkReader::Status::kMessage) return result;
      messages.push_back(std::move(message));
    }
  }
  ChunkReader::Result feed_byte_by_byte(const Bytes& bytes) {
    ChunkReader::Result result;
    for (uint8_t byte : bytes) result = feed({byte});
    return result;
  }
  size_t unread() const { return buffer_.size(); }

  std::vector<Message> messages;

 private:
  ChunkReader reader_;
  Bytes buffer_;
};

// Spec example 1 (section 5.3.2.1): four 32-byte audio messages on chunk stream 3, message
// stream 12345, at 1000 then 20 ms apart: a type 0 chunk, a type 2, then two type 3.
inline Bytes example_one() {
  Bytes first = {0x03, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x20, 0x08, 0x39, 0x30, 0x00, 0x00};
  return first + payload(32, 0) + Bytes{0x83, 0x00, 0x00, 0x14} + payload(32, 1) + Bytes{0xC3} +
         payload(32, 2) + Bytes{0xC3} + payload(32, 3);
}

// Spec example 2 (section 5.3.2.2): one 307-byte video message on chunk stream 4 in chunks of
// 128: a type 0 chunk, then two type 3.
inline Bytes example_two(const Bytes& data) {
  Bytes header = {0x04, 0x00, 0x03, 0xE8, 0x00, 0x01, 0x33, 0x09, 0x39, 0x30, 0x00, 0x00};
  return header + slice(data, 0, 128) + Bytes{0xC4} + slice(data, 128, 128) + Bytes{0xC4} +
         slice(data, 256, 51);
}

// A 300-byte video message at 0x12345678 on chunk stream 6: the extended timestamp follows the
// type 0 header and each type 3 one (section 5.3.1.3).
inline Bytes extended_in_three_chunks(const Bytes& data) {
  Bytes extended = {0x12, 0x34, 0x56, 0x78};
  return Bytes{0x06, 0xFF, 0xFF, 0xFF, 0, 0x01, 0x2C, 0x09, 1, 0, 0, 0} + extended +
         slice(data, 0, 128) + Bytes{0xC6} + extended + slice(data, 128, 128) + Bytes{0xC6} +
         extended + slice(data, 256, 44);
}

}  // namespace rtmp_test
