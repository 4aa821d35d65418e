#include <gtest/gtest.h>

#include "media/packet_queue.h"

using namespace streamrelay::media;
using namespace std::chrono_literals;

namespace {

MediaPacket packet_of(int size, bool is_keyframe = false) {
  MediaPacket packet;
  packet.packet = make_packet();
  av_new_packet(packet.packet.get(), size);
  packet.is_keyframe = is_keyframe;
  return packet;
}

std::shared_ptr<const SegmentInfo> segment_with_id(uint64_t id) {
  auto segment = std::make_shared<SegmentInfo>();
  segment->id = id;
  return segment;
}

}  // namespace

TEST(PacketQueue, DeliversInOrder) {
  PacketQueue queue;
  queue.push(segment_with_id(1));
  queue.push(packet_of(10));
  auto first = queue.pop(10ms);
  ASSERT_TRUE(first);
  EXPECT_TRUE(std::holds_alternative<std::shared_ptr<const SegmentInfo>>(*first));
  auto second = queue.pop(10ms);
  ASSERT_TRUE(second);
  EXPECT_TRUE(std::holds_alternative<MediaPacket>(*second));
  EXPECT_FALSE(queue.pop(10ms));
}

TEST(PacketQueue, WhenFullItDropsPacketsKeepsTheNewestSegmentAndMarksAGap) {
  PacketQueue queue({.max_bytes = 100, .max_items = 100});
  queue.push(segment_with_id(1));
  queue.push(packet_of(60));
  queue.push(segment_with_id(2));
  queue.push(packet_of(60));  // over the byte limit
  auto segment = queue.pop(10ms);
  ASSERT_TRUE(segment);
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const SegmentInfo>>(*segment));
  EXPECT_EQ(std::get<std::shared_ptr<const SegmentInfo>>(*segment)->id, 2u);
  auto gap = queue.pop(10ms);
  ASSERT_TRUE(gap);
  EXPECT_TRUE(std::holds_alternative<QueueGap>(*gap));
  auto newest = queue.pop(10ms);
  ASSERT_TRUE(newest);
  EXPECT_TRUE(std::holds_alternative<MediaPacket>(*newest));
  EXPECT_EQ(queue.dropped_packets(), 1u);
}

TEST(PacketQueue, ItemCountIsBoundedToo) {
  PacketQueue queue({.max_bytes = 1 << 20, .max_items = 8});
  for (int i = 0; i < 100; ++i) queue.push(packet_of(1));
  EXPECT_LE(queue.size(), 9u);
}
