#include "media/rtmp/codec/aggregate.h"

#include "media/big_endian.h"

namespace streamrelay::media::rtmp {
namespace {

// Type, payload length (3), timestamp (3, then its top byte), stream id (3): an FLV tag header,
// as nginx-rtmp and FFmpeg read it. Section 6.1.1 would read the timestamp as four big-endian
// bytes; the two agree for the first 4.6 hours.
constexpr size_t kPartHeaderBytes = 11;
// The size of the part before it; nothing a reader needs, so not checked.
constexpr size_t kBackPointerBytes = 4;

}  // namespace

bool split_aggregate(const Message& aggregate, std::vector<AggregatePart>& parts) {
  parts.clear();
  std::span<const uint8_t> p = aggregate.payload;
  size_t at = 0;
  uint32_t first = 0;
  while (p.size() - at >= kPartHeaderBytes) {
    const uint8_t* header = p.data() + at;
    uint32_t length = read_be(header + 1, 3);
    if (p.size() - at - kPartHeaderBytes < size_t{length} + kBackPointerBytes) return false;
    uint32_t timestamp = read_be(header + 4, 3) | (static_cast<uint32_t>(header[7]) << 24);
    if (parts.empty()) first = timestamp;
    // Unsigned wrap-around: a part stamped before the first lands as far before the aggregate.
    parts.push_back({header[0], aggregate.timestamp + (timestamp - first),
                     p.subspan(at + kPartHeaderBytes, length)});
    at += kPartHeaderBytes + length + kBackPointerBytes;
  }
  return at == p.size();
}

}  // namespace streamrelay::media::rtmp
