// Aggregate messages (RTMP specification 1.0, section 7.1.6) split into their sub-messages.
#include <gtest/gtest.h>

#include <vector>

#include "media/rtmp/codec/aggregate.h"
#include "unit/rtmp_chunk_bytes.h"

using namespace streamrelay::media::rtmp;
using namespace rtmp_test;

TEST(RtmpAggregate, SubMessagesLandOnTheAggregatesTimeline) {
  Bytes audio = payload(3, 0x10);
  Bytes video = payload(150, 0x20);
  Bytes body = aggregate_part(kAudio, 5000, audio) + aggregate_part(kVideo, 5033, video) +
               aggregate_part(kAudio, 5023, audio);
  // The aggregate itself arrives in two chunks.
  Feeder feeder;
  auto size = static_cast<uint8_t>(body.size());
  feeder.feed(Bytes{0x05, 0, 0x03, 0xE8, 0, 0, size, kAggregate, 1, 0, 0, 0} + slice(body, 0, 128) +
              Bytes{0xC5} + slice(body, 128, body.size() - 128));
  ASSERT_EQ(feeder.messages.size(), 1u);
  std::vector<AggregatePart> parts;
  EXPECT_TRUE(split_aggregate(feeder.messages[0], parts));
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].type, kAudio);
  EXPECT_EQ(parts[0].timestamp, 1000u);
  EXPECT_EQ(Bytes(parts[0].payload.begin(), parts[0].payload.end()), audio);
  EXPECT_EQ(parts[1].type, kVideo);
  EXPECT_EQ(parts[1].timestamp, 1033u);
  EXPECT_EQ(Bytes(parts[1].payload.begin(), parts[1].payload.end()), video);
  EXPECT_EQ(parts[2].timestamp, 1023u);
}

TEST(RtmpAggregate, TheTimestampsTopByteComesAfterItsLowThree) {
  Message aggregate = {.type = kAggregate, .timestamp = 0x02000000, .payload = {}};
  aggregate.payload =
      aggregate_part(kVideo, 0x01FFFFF0, {0x01}) + aggregate_part(kVideo, 0x02000010, {0x02});
  std::vector<AggregatePart> parts;
  EXPECT_TRUE(split_aggregate(aggregate, parts));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].timestamp, 0x02000020u);
}

TEST(RtmpAggregate, APartCutShortEndsItAndTheWholePartsRemain) {
  Message aggregate = {.type = kAggregate, .timestamp = 40, .payload = {}};
  Bytes second = aggregate_part(kVideo, 10, payload(20));
  aggregate.payload = aggregate_part(kAudio, 0, {0xAB}) + slice(second, 0, second.size() - 5);
  std::vector<AggregatePart> parts;
  EXPECT_FALSE(split_aggregate(aggregate, parts));
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].timestamp, 40u);
}

TEST(RtmpAggregate, AHeaderClaimingMoreThanThePayloadIsRefused) {
  Message aggregate = {.type = kAggregate,
                       .payload = {kVideo, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 1, 0x00}};
  std::vector<AggregatePart> parts = {AggregatePart{}};
  EXPECT_FALSE(split_aggregate(aggregate, parts));
  EXPECT_TRUE(parts.empty());
}
