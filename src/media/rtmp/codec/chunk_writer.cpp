#include "media/rtmp/codec/chunk_writer.h"

#include <algorithm>

#include "media/big_endian.h"

namespace streamrelay::media::rtmp {
namespace {

// A timestamp field with this value says the real one follows in four bytes (section 5.3.1.3).
constexpr uint32_t kExtendedTimestamp = 0xFFFFFF;

// The shortest of the three basic header forms that holds the id (section 5.3.1.1).
void put_basic_header(std::vector<uint8_t>& out, uint8_t format, uint32_t chunk_stream_id) {
  uint8_t top = static_cast<uint8_t>(format << 6);
  if (chunk_stream_id < 64) {
    out.push_back(static_cast<uint8_t>(top | chunk_stream_id));
  } else if (chunk_stream_id < 320) {
    out.push_back(top);
    out.push_back(static_cast<uint8_t>(chunk_stream_id - 64));
  } else {
    out.push_back(static_cast<uint8_t>(top | 1));
    out.push_back(static_cast<uint8_t>(chunk_stream_id - 64));
    out.push_back(static_cast<uint8_t>((chunk_stream_id - 64) >> 8));
  }
}

}  // namespace

void ChunkWriter::append(std::vector<uint8_t>& out, const OutgoingMessage& message) const {
  const uint32_t timestamp = message.timestamp;
  const bool is_extended = timestamp >= kExtendedTimestamp;
  const size_t size = message.prefix.size() + message.payload.size();
  put_basic_header(out, 0, message.chunk_stream_id);
  put_be(out, is_extended ? kExtendedTimestamp : timestamp, 3);
  put_be(out, static_cast<uint32_t>(size), 3);
  out.push_back(message.type);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(message.stream_id >> (8 * i)));
  if (is_extended) put_be(out, timestamp, 4);
  out.reserve(out.size() + size + (size / chunk_size_) * (is_extended ? 7 : 3));
  // The payload is the prefix followed by `payload`; a chunk may take bytes of both.
  auto copy = [&](size_t from, size_t count) {
    const size_t prefix_size = message.prefix.size();
    if (from < prefix_size) {
      size_t piece = std::min(count, prefix_size - from);
      out.insert(out.end(), message.prefix.begin() + static_cast<long>(from),
                 message.prefix.begin() + static_cast<long>(from + piece));
      from += piece;
      count -= piece;
    }
    if (count == 0) return;
    auto begin = message.payload.begin() + static_cast<long>(from - prefix_size);
    out.insert(out.end(), begin, begin + static_cast<long>(count));
  };
  for (size_t at = 0; at < size; at += chunk_size_) {
    if (at > 0) {
      put_basic_header(out, 3, message.chunk_stream_id);
      if (is_extended) put_be(out, timestamp, 4);
    }
    copy(at, std::min<size_t>(chunk_size_, size - at));
  }
}

}  // namespace streamrelay::media::rtmp
