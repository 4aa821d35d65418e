// The chunks the client sends, byte for byte as the RTMP specification 1.0 lays them out
// (section 5.3), and read back.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "media/rtmp/codec/chunk_writer.h"
#include "unit/rtmp_chunk_bytes.h"

using namespace streamrelay::media::rtmp;
using namespace rtmp_test;

TEST(RtmpChunkWriter, SplitsAMessageAsSpecExampleTwo) {
  Bytes data = payload(307, 7);
  ChunkWriter writer;
  Bytes out;
  writer.append(out, {.chunk_stream_id = 4,
                      .type = kVideo,
                      .stream_id = 12345,
                      .timestamp = 1000,
                      .payload = data});
  EXPECT_EQ(out, example_two(data));
}

TEST(RtmpChunkWriter, RepeatsTheExtendedTimestampOnType3Chunks) {
  Bytes data = payload(300, 5);
  ChunkWriter writer;
  Bytes out;
  writer.append(out, {.chunk_stream_id = 6,
                      .type = kVideo,
                      .stream_id = 1,
                      .timestamp = 0x12345678,
                      .payload = data});
  EXPECT_EQ(out, extended_in_three_chunks(data));
}

TEST(RtmpChunkWriter, Timestamp0xFFFFFFItselfGoesInTheExtendedField) {
  ChunkWriter writer;
  Bytes out;
  Bytes data = {0xEE};
  writer.append(out, {.chunk_stream_id = 4,
                      .type = kAudio,
                      .stream_id = 1,
                      .timestamp = 0xFFFFFF,
                      .payload = data});
  EXPECT_EQ(out, (Bytes{0x04, 0xFF, 0xFF, 0xFF, 0, 0, 1, 0x08, 1, 0, 0, 0, 0x00, 0xFF, 0xFF, 0xFF,
                        0xEE}));
}

TEST(RtmpChunkWriter, UsesTheShortestBasicHeaderForEveryChunk) {
  ChunkWriter writer;
  writer.set_chunk_size(1);
  Bytes data = {0xA0, 0xA1};
  for (auto [id, first] : std::vector<std::pair<uint32_t, Bytes>>{{63, {0x3F}},
                                                                  {64, {0x00, 0x00}},
                                                                  {319, {0x00, 0xFF}},
                                                                  {320, {0x01, 0x00, 0x01}},
                                                                  {65599, {0x01, 0xFF, 0xFF}}}) {
    Bytes out;
    writer.append(out, {.chunk_stream_id = id, .type = kAudio, .payload = data});
    Bytes then = first;
    then[0] |= 0xC0;  // type 3
    EXPECT_EQ(out, (first + Bytes{0, 0, 0, 0, 0, 2, 0x08, 0, 0, 0, 0, 0xA0} + then + Bytes{0xA1}))
        << "chunk stream " << id;
  }
}

TEST(RtmpChunkWriter, WhatItWritesReadsBackAtEveryChunkSize) {
  ChunkWriter writer;
  Feeder feeder;
  Bytes out;
  std::vector<Bytes> sent;
  for (uint32_t size : {1u, 7u, 128u, 4096u}) {
    Bytes announce = be32(size);
    writer.append(out, {.chunk_stream_id = 2, .type = kSetChunkSize, .payload = announce});
    writer.set_chunk_size(size);
    sent.push_back(payload(1000 + size, static_cast<uint8_t>(size)));
    writer.append(out, {.chunk_stream_id = 6,
                        .type = kVideo,
                        .stream_id = 1,
                        .timestamp = 0x01000000 + size,
                        .payload = sent.back()});
  }
  feeder.feed(out);
  ASSERT_EQ(feeder.messages.size(), 8u);
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(feeder.messages[2 * i + 1].payload, sent[i]);
    EXPECT_EQ(feeder.messages[2 * i + 1].timestamp, 0x01000000u + sent[i].size() - 1000);
  }
}

TEST(RtmpChunkWriter, APrefixIsThePayloadsFirstBytesAcrossChunks) {
  ChunkWriter writer;
  writer.set_chunk_size(4);
  Bytes prefix = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5};
  Bytes data = {0xB0, 0xB1, 0xB2, 0xB3, 0xB4};
  Bytes whole = prefix;
  whole.insert(whole.end(), data.begin(), data.end());
  Bytes split, joined;
  writer.append(split, {.chunk_stream_id = 6,
                        .type = kVideo,
                        .stream_id = 1,
                        .timestamp = 40,
                        .payload = data,
                        .prefix = prefix});
  writer.append(
      joined,
      {.chunk_stream_id = 6, .type = kVideo, .stream_id = 1, .timestamp = 40, .payload = whole});
  EXPECT_EQ(split, joined);
  EXPECT_EQ(split.size(), 12u + 11u + 2u);  // one type 0 header, two type 3 headers
}
