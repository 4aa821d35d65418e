#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <memory>

#include "media/av_handles.h"
#include "media/payload_pools.h"

using namespace streamrelay::media;

TEST(PayloadPools, EverySizeGetsAWritablePayloadWithZeroedPadding) {
  PayloadPools pools;
  for (size_t size : {size_t{1}, size_t{447}, size_t{3000}, size_t{70000}, size_t{500000}}) {
    AvPacketPtr packet = make_packet();
    ASSERT_TRUE(pools.allocate(*packet, size));
    ASSERT_NE(packet->buf, nullptr);
    EXPECT_EQ(packet->size, static_cast<int>(size));
    std::memset(packet->data, 0xAB, size);
    for (int i = 0; i < AV_INPUT_BUFFER_PADDING_SIZE; ++i) EXPECT_EQ(packet->data[size + i], 0);
  }
}

TEST(PayloadPools, AFreedPayloadIsReusedForTheNextPacketOfItsClass) {
  PayloadPools pools;
  AvPacketPtr first = make_packet();
  ASSERT_TRUE(pools.allocate(*first, 300));
  const uint8_t* buffer = first->data;
  first.reset();
  AvPacketPtr second = make_packet();
  ASSERT_TRUE(pools.allocate(*second, 200));
  EXPECT_EQ(second->data, buffer);
}

TEST(PayloadPools, APacketMayOutliveThePools) {
  AvPacketPtr packet = make_packet();
  {
    PayloadPools pools;
    ASSERT_TRUE(pools.allocate(*packet, 1000));
  }
  std::memset(packet->data, 1, 1000);  // still valid: the pool goes with its last buffer
  packet.reset();
}

TEST(PayloadPools, PacketsAliveAcrossARenewalOfThePoolsStayValid) {
  PayloadPools pools(std::chrono::seconds(0));  // renewed at every look at the clock
  std::deque<AvPacketPtr> alive;  // a queue's worth of packets in flight, as in a relay
  for (int i = 0; i < 10000; ++i) {
    AvPacketPtr packet = make_packet();
    size_t size = 100 + static_cast<size_t>(i % 7) * 1500;
    ASSERT_TRUE(pools.allocate(*packet, size));
    std::memset(packet->data, i & 0xFF, size);
    alive.push_back(std::move(packet));
    if (alive.size() > 300) {
      const AVPacket& oldest = *alive.front();
      EXPECT_EQ(oldest.data[oldest.size - 1], static_cast<uint8_t>((i - 300) & 0xFF));
      alive.pop_front();
    }
  }
}
