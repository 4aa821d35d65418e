#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "media/rtmp/codec/message.h"

namespace streamrelay::media::rtmp {

// One sub-message of an aggregate; the payload points into the aggregate's.
struct AggregatePart {
  uint8_t type = 0;
  uint32_t timestamp = 0;  // on the aggregate's timeline
  std::span<const uint8_t> payload;
};

// Splits an aggregate message (type 22, RTMP specification 1.0, section 7.1.6): FLV-style tags
// back to back, each followed by its back pointer, whose timestamps are renormalised so the
// first lands on the aggregate's own. The aggregate's stream id stands for all of them. Fills
// `parts` (cleared first; the caller reuses it) up to the first part cut short, and says
// whether the payload held whole parts only.
bool split_aggregate(const Message& aggregate, std::vector<AggregatePart>& parts);

}  // namespace streamrelay::media::rtmp
