// The chunk reader against chunk streams as the RTMP specification 1.0 lays them out (section
// 5.3), fed the way a socket delivers them.
#include <gtest/gtest.h>

#include <span>
#include <vector>

#include "media/rtmp/codec/chunk_reader.h"
#include "unit/rtmp_chunk_bytes.h"

using namespace streamrelay::media::rtmp;
using namespace rtmp_test;

TEST(RtmpChunkReader, Type0ChunkCarriesTimestampLengthTypeAndStreamId) {
  Feeder feeder;
  feeder.feed(Bytes{0x03, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x04, 0x08, 0x39, 0x30, 0x00, 0x00} +
              payload(4));
  ASSERT_EQ(feeder.messages.size(), 1u);
  const Message& m = feeder.messages[0];
  EXPECT_EQ(m.chunk_stream_id, 3u);
  EXPECT_EQ(m.timestamp, 1000u);
  EXPECT_EQ(m.type, kAudio);
  EXPECT_EQ(m.stream_id, 12345u);  // the one little-endian field
  EXPECT_EQ(m.payload, payload(4));
  EXPECT_EQ(feeder.unread(), 0u);
}

TEST(RtmpChunkReader, Type1ChunkAddsItsDeltaAndKeepsTheStreamId) {
  Feeder feeder;
  feeder.feed(Bytes{0x03, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x04, 0x08, 0x39, 0x30, 0x00, 0x00} +
              payload(4) + Bytes{0x43, 0x00, 0x00, 0x21, 0x00, 0x00, 0x02, 0x09} + payload(2));
  ASSERT_EQ(feeder.messages.size(), 2u);
  const Message& m = feeder.messages[1];
  EXPECT_EQ(m.timestamp, 1033u);
  EXPECT_EQ(m.type, kVideo);
  EXPECT_EQ(m.stream_id, 12345u);
  EXPECT_EQ(m.payload, payload(2));
}

TEST(RtmpChunkReader, Type2ChunkAddsItsDeltaAndKeepsLengthTypeAndStreamId) {
  Feeder feeder;
  feeder.feed(Bytes{0x03, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x04, 0x08, 0x39, 0x30, 0x00, 0x00} +
              payload(4) + Bytes{0x83, 0x00, 0x00, 0x17} + payload(4, 9));
  ASSERT_EQ(feeder.messages.size(), 2u);
  const Message& m = feeder.messages[1];
  EXPECT_EQ(m.timestamp, 1023u);
  EXPECT_EQ(m.type, kAudio);
  EXPECT_EQ(m.stream_id, 12345u);
  EXPECT_EQ(m.payload, payload(4, 9));
}

TEST(RtmpChunkReader, SpecExampleOneType3ChunksRepeatTheLastDelta) {
  Feeder feeder;
  feeder.feed(example_one());
  ASSERT_EQ(feeder.messages.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(feeder.messages[i].timestamp, 1000u + 20 * i);
    EXPECT_EQ(feeder.messages[i].type, kAudio);
    EXPECT_EQ(feeder.messages[i].stream_id, 12345u);
    EXPECT_EQ(feeder.messages[i].payload, payload(32, static_cast<uint8_t>(i)));
  }
}

TEST(RtmpChunkReader, Type3AfterType0TakesTheFirstTimestampAsTheDelta) {
  Feeder feeder;  // section 5.3.1.2.4: no type 2 is needed when the delta equals it
  feeder.feed(Bytes{0x05, 0x00, 0x00, 0x28, 0x00, 0x00, 0x01, 0x09, 0x01, 0x00, 0x00, 0x00, 0xAA,
                    0xC5, 0xBB, 0xC5, 0xCC});
  ASSERT_EQ(feeder.messages.size(), 3u);
  EXPECT_EQ(feeder.messages[0].timestamp, 40u);
  EXPECT_EQ(feeder.messages[1].timestamp, 80u);
  EXPECT_EQ(feeder.messages[2].timestamp, 120u);
  EXPECT_EQ(feeder.messages[2].payload, Bytes{0xCC});
}

TEST(RtmpChunkReader, DeltasAccumulateOverType1Type2AndType3Chunks) {
  Feeder feeder;
  feeder.feed(Bytes{0x06, 0, 0, 0, 0, 0, 1, 0x09, 1, 0, 0, 0, 0x10} +  // type 0 at 0
              Bytes{0x46, 0, 0, 40, 0, 0, 2, 0x09, 0x11, 0x12} +       // type 1, +40
              Bytes{0x86, 0, 0, 33, 0x13, 0x14} +                      // type 2, +33
              Bytes{0xC6, 0x15, 0x16} + Bytes{0xC6, 0x17, 0x18});      // type 3, +33 twice
  ASSERT_EQ(feeder.messages.size(), 5u);
  std::vector<uint32_t> timestamps;
  for (const Message& m : feeder.messages) timestamps.push_back(m.timestamp);
  EXPECT_EQ(timestamps, (std::vector<uint32_t>{0, 40, 73, 106, 139}));
  EXPECT_EQ(feeder.messages[4].payload, (Bytes{0x17, 0x18}));
}

TEST(RtmpChunkReader, SpecExampleTwoJoinsAMessageSplitAcrossChunks) {
  Bytes data = payload(307, 7);
  Feeder feeder;
  feeder.feed(example_two(data));
  ASSERT_EQ(feeder.messages.size(), 1u);
  EXPECT_EQ(feeder.messages[0].timestamp, 1000u);
  EXPECT_EQ(feeder.messages[0].type, kVideo);
  EXPECT_EQ(feeder.messages[0].payload, data);
}

TEST(RtmpChunkReader, TwoAndThreeByteBasicHeadersCarryChunkStreamIds64To65599) {
  Feeder feeder;
  Bytes body = {0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00, 0xEE};
  feeder.feed(Bytes{0x00, 0x00} + body);        // 64: two bytes, id - 64
  feeder.feed(Bytes{0x00, 0xFF} + body);        // 319
  feeder.feed(Bytes{0x01, 0x00, 0x01} + body);  // 320: three bytes, low byte first
  feeder.feed(Bytes{0x01, 0xFF, 0xFF} + body);  // 65599
  feeder.feed(Bytes{0x3F} + body);              // 63: the largest one-byte id
  ASSERT_EQ(feeder.messages.size(), 5u);
  EXPECT_EQ(feeder.messages[0].chunk_stream_id, 64u);
  EXPECT_EQ(feeder.messages[1].chunk_stream_id, 319u);
  EXPECT_EQ(feeder.messages[2].chunk_stream_id, 320u);
  EXPECT_EQ(feeder.messages[3].chunk_stream_id, 65599u);
  EXPECT_EQ(feeder.messages[4].chunk_stream_id, 63u);
}

TEST(RtmpChunkReader, ContinuationChunksFindTheirStreamThroughAThreeByteId) {
  Bytes data = payload(200);
  Feeder feeder;
  feeder.feed(Bytes{0x01, 0x10, 0x02, 0, 0, 5, 0, 0, 200, 0x09, 1, 0, 0, 0} + slice(data, 0, 128) +
              Bytes{0xC1, 0x10, 0x02} + slice(data, 128, 72));
  ASSERT_EQ(feeder.messages.size(), 1u);
  EXPECT_EQ(feeder.messages[0].chunk_stream_id, 64u + 0x10 + 256u * 2);
  EXPECT_EQ(feeder.messages[0].payload, data);
}

TEST(RtmpChunkReader, SetChunkSizeAppliesFromTheNextChunk) {
  Bytes before = payload(200, 1);
  Bytes after = payload(300, 2);
  Feeder feeder;
  feeder.feed(Bytes{0x06, 0, 0, 0, 0, 0, 200, 0x09, 1, 0, 0, 0} + slice(before, 0, 128) +
              Bytes{0xC6} + slice(before, 128, 72) + set_chunk_size(256) +
              Bytes{0x06, 0, 0, 40, 0, 0x01, 0x2C, 0x09, 1, 0, 0, 0} + slice(after, 0, 256) +
              Bytes{0xC6} + slice(after, 256, 44));
  ASSERT_EQ(feeder.messages.size(), 3u);
  EXPECT_EQ(feeder.messages[0].payload, before);
  EXPECT_EQ(feeder.messages[1].type, kSetChunkSize);  // still handed out
  EXPECT_EQ(feeder.messages[2].payload, after);
  EXPECT_EQ(feeder.unread(), 0u);
}

TEST(RtmpChunkReader, SetChunkSizeMidMessageChangesTheRestOfThatMessage) {
  Bytes data = payload(300, 3);
  Feeder feeder;
  feeder.feed(Bytes{0x06, 0, 0, 0, 0, 0x01, 0x2C, 0x09, 1, 0, 0, 0} + slice(data, 0, 128) +
              set_chunk_size(4096) + Bytes{0xC6} + slice(data, 128, 172));
  ASSERT_EQ(feeder.messages.size(), 2u);
  EXPECT_EQ(feeder.messages[1].payload, data);
}

TEST(RtmpChunkReader, ExtendedTimestampOnType0) {
  Feeder feeder;
  feeder.feed(Bytes{0x04, 0xFF, 0xFF, 0xFF, 0, 0, 1, 0x08, 1, 0, 0, 0, 0x01, 0x02, 0x03, 0x04} +
              Bytes{0xAA});
  ASSERT_EQ(feeder.messages.size(), 1u);
  EXPECT_EQ(feeder.messages[0].timestamp, 0x01020304u);
  EXPECT_EQ(feeder.messages[0].payload, Bytes{0xAA});
}

TEST(RtmpChunkReader, ExtendedTimestampDeltasOnType1AndType2) {
  Feeder feeder;
  feeder.feed(Bytes{0x04, 0, 0, 5, 0, 0, 1, 0x08, 1, 0, 0, 0, 0xA0} +
              Bytes{0x44, 0xFF, 0xFF, 0xFF, 0, 0, 1, 0x08, 0x01, 0x00, 0x00, 0x00, 0xA1} +
              Bytes{0x84, 0xFF, 0xFF, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0xA2});
  ASSERT_EQ(feeder.messages.size(), 3u);
  EXPECT_EQ(feeder.messages[1].timestamp, 0x01000005u);
  EXPECT_EQ(feeder.messages[2].timestamp, 0x02000004u);
  EXPECT_EQ(feeder.messages[2].payload, Bytes{0xA2});
}

TEST(RtmpChunkReader, Type3ContinuationsRepeatTheExtendedTimestamp) {
  Bytes data = payload(300, 5);
  Feeder feeder;
  feeder.feed(extended_in_three_chunks(data));
  ASSERT_EQ(feeder.messages.size(), 1u);
  EXPECT_EQ(feeder.messages[0].timestamp, 0x12345678u);
  EXPECT_EQ(feeder.messages[0].payload, data);
  EXPECT_EQ(feeder.unread(), 0u);
}

TEST(RtmpChunkReader, Type3StartingAMessageAfterAnExtendedType0AddsItsExtendedDelta) {
  Feeder feeder;
  feeder.feed(Bytes{0x06, 0xFF, 0xFF, 0xFF, 0, 0, 1, 0x09, 1, 0, 0, 0, 0x01, 0, 0, 0, 0xB0} +
              Bytes{0xC6, 0x01, 0x00, 0x00, 0x00, 0xB1});
  ASSERT_EQ(feeder.messages.size(), 2u);
  EXPECT_EQ(feeder.messages[1].timestamp, 0x02000000u);
  EXPECT_EQ(feeder.messages[1].payload, Bytes{0xB1});
}

TEST(RtmpChunkReader, TwoChunkStreamsInterleavedChunkByChunk) {
  Bytes video = payload(300, 0x40);
  Bytes audio = payload(200, 0x80);
  Feeder feeder;
  feeder.feed(Bytes{0x06, 0, 0, 40, 0, 0x01, 0x2C, 0x09, 1, 0, 0, 0} + slice(video, 0, 128) +
              Bytes{0x04, 0, 0, 43, 0, 0, 200, 0x08, 1, 0, 0, 0} + slice(audio, 0, 128) +
              Bytes{0xC6} + slice(video, 128, 128) + Bytes{0xC4} + slice(audio, 128, 72) +
              Bytes{0xC6} + slice(video, 256, 44));
  ASSERT_EQ(feeder.messages.size(), 2u);
  EXPECT_EQ(feeder.messages[0].type, kAudio);
  EXPECT_EQ(feeder.messages[0].timestamp, 43u);
  EXPECT_EQ(feeder.messages[0].payload, audio);
  EXPECT_EQ(feeder.messages[1].type, kVideo);
  EXPECT_EQ(feeder.messages[1].timestamp, 40u);
  EXPECT_EQ(feeder.messages[1].payload, video);
}

TEST(RtmpChunkReader, MessagesFedOneByteAtATimeComeOutWhole) {
  Bytes data = payload(307, 11);
  Feeder feeder;
  ChunkReader::Result last = feeder.feed_byte_by_byte(example_two(data) + example_one());
  EXPECT_EQ(last.status, ChunkReader::Status::kNeedMoreData);
  ASSERT_EQ(feeder.messages.size(), 5u);
  EXPECT_EQ(feeder.messages[0].payload, data);
  EXPECT_EQ(feeder.messages[4].timestamp, 1060u);
  EXPECT_EQ(feeder.messages[4].payload, payload(32, 3));
  EXPECT_EQ(feeder.unread(), 0u);
}

TEST(RtmpChunkReader, TheCallersBufferIsReusedForALaterMessage) {
  ChunkReader reader;
  Bytes chunks = example_one();
  std::span<const uint8_t> input = chunks;
  Message out;
  std::vector<const uint8_t*> buffers;
  for (int i = 0; i < 4; ++i) {
    ChunkReader::Result result = reader.read(input, out);
    ASSERT_EQ(result.status, ChunkReader::Status::kMessage);
    input = input.subspan(result.consumed);
    buffers.push_back(out.payload.data());
  }
  // Two buffers trade places between the chunk stream and the caller.
  EXPECT_NE(buffers[1], buffers[0]);
  EXPECT_EQ(buffers[2], buffers[0]);
  EXPECT_EQ(buffers[3], buffers[1]);
}

TEST(RtmpChunkReader, AbortDropsTheMessageInProgress) {
  Feeder feeder;
  feeder.feed(Bytes{0x06, 0, 0, 0, 0, 0x01, 0x2C, 0x09, 1, 0, 0, 0} + payload(128) +
              Bytes{0x02, 0, 0, 0, 0, 0, 4, 0x02, 0, 0, 0, 0, 0, 0, 0, 6} +  // Abort (5.4.2)
              Bytes{0x06, 0, 0, 0, 0, 0, 2, 0x09, 1, 0, 0, 0, 0xD0, 0xD1});
  ASSERT_EQ(feeder.messages.size(), 2u);
  EXPECT_EQ(feeder.messages[0].type, kAbort);
  EXPECT_EQ(feeder.messages[1].payload, (Bytes{0xD0, 0xD1}));
}

TEST(RtmpChunkReader, AMessageLongerThanTheCapIsRefusedOnItsHeader) {
  ChunkLimits limits;
  limits.max_message_bytes = 1000;
  Feeder feeder(limits);
  ChunkReader::Result result = feeder.feed({0x06, 0, 0, 0, 0, 0x03, 0xE9, 0x09, 1, 0, 0, 0});
  EXPECT_EQ(result.status, ChunkReader::Status::kError);
  EXPECT_EQ(result.error, ChunkError::kMessageTooLong);
  // Final: nothing more is read.
  EXPECT_EQ(feeder.feed(example_one()).status, ChunkReader::Status::kError);
  EXPECT_TRUE(feeder.messages.empty());
}

TEST(RtmpChunkReader, AChunkStreamIdFloodIsRefused) {
  Feeder feeder;  // the default limits
  ChunkReader::Result result;
  uint32_t id = 64;
  for (; id <= 65599 && result.status != ChunkReader::Status::kError; ++id) {
    uint8_t low = static_cast<uint8_t>(id - 64);
    uint8_t high = static_cast<uint8_t>((id - 64) >> 8);
    result = feeder.feed({0x01, low, high, 0, 0, 0, 0, 0, 0, 0x09, 1, 0, 0, 0});  // empty
  }
  EXPECT_EQ(result.error, ChunkError::kTooManyChunkStreams);
  EXPECT_EQ(id - 64, ChunkLimits{}.max_chunk_streams + 1);
}

TEST(RtmpChunkReader, UnfinishedMessagesTogetherOverTheBudgetAreRefused) {
  ChunkLimits limits;
  limits.max_pending_bytes = 1000;
  Feeder feeder(limits);
  feeder.feed(Bytes{0x06, 0, 0, 0, 0, 0x02, 0x58, 0x09, 1, 0, 0, 0} + payload(128));  // 600
  ChunkReader::Result result =
      feeder.feed(Bytes{0x04, 0, 0, 0, 0, 0x02, 0x58, 0x08, 1, 0, 0, 0} + payload(128));
  EXPECT_EQ(result.error, ChunkError::kTooMuchPending);
}

TEST(RtmpChunkReader, ChunkSizeZeroIsRefused) {
  Feeder feeder;
  EXPECT_EQ(feeder.feed(set_chunk_size(0)).error, ChunkError::kBadChunkSize);
}

TEST(RtmpChunkReader, ChunkSizeBeyondTheMessageCapIsRefused) {
  ChunkLimits limits;
  limits.max_message_bytes = 1 << 20;
  Feeder feeder(limits);
  EXPECT_EQ(feeder.feed(set_chunk_size(1 << 20)).status, ChunkReader::Status::kNeedMoreData);
  EXPECT_EQ(feeder.feed(set_chunk_size(0x7FFFFFFF)).error, ChunkError::kBadChunkSize);
}

TEST(RtmpChunkReader, ASetChunkSizeTooShortIsRefused) {
  Feeder feeder;
  Bytes three_bytes = {0x02, 0, 0, 0, 0, 0, 3, 0x01, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(feeder.feed(three_bytes).error, ChunkError::kBadControlMessage);
}

TEST(RtmpChunkReader, AHeaderResizingAMessageInProgressIsRefused) {
  Feeder feeder;
  ChunkReader::Result result =
      feeder.feed(Bytes{0x06, 0, 0, 0, 0, 0x01, 0x2C, 0x09, 1, 0, 0, 0} + payload(128) +
                  Bytes{0x46, 0, 0, 0, 0, 0x00, 0x10, 0x09} + payload(16));
  EXPECT_EQ(result.error, ChunkError::kLengthChanged);
}
