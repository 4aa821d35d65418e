#pragma once

#include <cstdint>
#include <vector>

namespace streamrelay::media {

// Big-endian integers of one to four bytes, as RTMP and FLV write their fields.
inline uint32_t read_be(const uint8_t* data, int bytes) {
  uint32_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | data[i];
  return value;
}

inline void put_be(std::vector<uint8_t>& out, uint32_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

}  // namespace streamrelay::media
