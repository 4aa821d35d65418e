#include <gtest/gtest.h>

#include "media/relay/packet_queue.h"

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

TEST(PacketQueue, TheNodesBudgetBoundsWhatAllQueuesHoldTogether) {
  runtime::MemoryBudget budget(210);
  PacketQueue first({.max_bytes = 1000, .max_items = 100}, budget);
  PacketQueue second({.max_bytes = 1000, .max_items = 100}, budget);
  first.push(packet_of(100));
  first.push(packet_of(100));
  EXPECT_EQ(budget.used(), 200);
  // The second queue's packet does not fit the budget: it drops its own (empty) backlog and,
  // still short, the packet itself; the first queue keeps what it holds.
  second.push(packet_of(100));
  EXPECT_EQ(second.dropped_packets(), 1u);
  EXPECT_EQ(first.dropped_packets(), 0u);
  EXPECT_EQ(budget.used(), 200);
  ASSERT_TRUE(first.pop(10ms));
  EXPECT_EQ(budget.used(), 100);
  second.push(packet_of(100));
  EXPECT_EQ(budget.used(), 200);
  // A queue that over-runs the budget gives up its own backlog first.
  second.push(packet_of(100));
  EXPECT_EQ(second.dropped_packets(), 2u);
  EXPECT_EQ(budget.used(), 200);
  EXPECT_FALSE(budget.admits_new_relay());
  first.drop_packets();
  EXPECT_EQ(budget.used(), 100);
  EXPECT_TRUE(budget.admits_new_relay());
}

TEST(PacketQueue, WhatAQueueHoldsGoesBackToTheBudgetWhenItGoes) {
  runtime::MemoryBudget budget(1000);
  {
    PacketQueue queue({.max_bytes = 1000, .max_items = 100}, budget);
    queue.push(packet_of(300));
    QueueItem item = packet_of(200);
    EXPECT_TRUE(queue.push_or_wait(item, [] { return false; }));
    EXPECT_EQ(budget.used(), 500);
  }
  EXPECT_EQ(budget.used(), 0);
}

TEST(PacketQueue, AFileSourceWaitsForTheBudgetInsteadOfDropping) {
  runtime::MemoryBudget budget(100);
  PacketQueue other({.max_bytes = 1000, .max_items = 100}, budget);
  PacketQueue queue({.max_bytes = 1000, .max_items = 100}, budget);
  other.push(packet_of(80));
  QueueItem item = packet_of(50);
  int polls = 0;
  EXPECT_FALSE(queue.push_or_wait(item, [&] { return ++polls > 3; }));
  EXPECT_EQ(queue.dropped_packets(), 0u);
  EXPECT_EQ(budget.used(), 80);
  ASSERT_TRUE(other.pop(10ms));
  EXPECT_TRUE(queue.push_or_wait(item, [] { return false; }));
  EXPECT_EQ(budget.used(), 50);
}
