#include <gtest/gtest.h>

#include <vector>

#include "media/formats/flv_tags.h"

using namespace streamrelay::media::flv;

TEST(FlvTags, TagHeaderCarriesTypeSizeAndExtendedTimestamp) {
  std::array<uint8_t, kTagHeaderSize> bytes = {9,    0x00, 0x01, 0x02, 0x12, 0x34,
                                               0x56, 0x01, 0,    0,    0};
  TagHeader header = parse_tag_header(bytes);
  EXPECT_EQ(header.type, 9);
  EXPECT_EQ(header.data_size, 0x102u);
  EXPECT_EQ(header.timestamp_ms, 0x01123456);
}

TEST(FlvTags, AvcKeyframeWithNegativeCompositionTime) {
  std::vector<uint8_t> data = {0x17, 0x01, 0xFF, 0xFF, 0xD8, 0xAA, 0xBB};  // cts = -40
  auto tag = parse_video_tag(data);
  ASSERT_TRUE(tag);
  EXPECT_TRUE(tag->is_keyframe);
  EXPECT_EQ(tag->codec_id, kVideoCodecAvc);
  EXPECT_FALSE(tag->is_sequence_header);
  EXPECT_EQ(tag->composition_time_ms, -40);
  EXPECT_EQ(tag->payload.size(), 2u);
}

TEST(FlvTags, AvcSequenceHeaderIsRecognised) {
  std::vector<uint8_t> data = {0x17, 0x00, 0, 0, 0, 0x01, 0x64};
  auto tag = parse_video_tag(data);
  ASSERT_TRUE(tag);
  EXPECT_TRUE(tag->is_sequence_header);
}

TEST(FlvTags, AacSequenceHeaderAndRawFrames) {
  std::vector<uint8_t> header = {0xAF, 0x00, 0x12, 0x10};
  auto config = parse_audio_tag(header);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->sound_format, kSoundFormatAac);
  EXPECT_TRUE(config->is_sequence_header);
  EXPECT_EQ(config->payload.size(), 2u);
  std::vector<uint8_t> frame = {0xAF, 0x01, 0x21, 0x00};
  auto raw = parse_audio_tag(frame);
  ASSERT_TRUE(raw);
  EXPECT_FALSE(raw->is_sequence_header);
  EXPECT_EQ(raw->channels, 2);
  EXPECT_EQ(raw->sample_rate, 44100);
}

TEST(FlvTags, TruncatedTagsAreRefused) {
  std::vector<uint8_t> video = {0x17, 0x01};
  EXPECT_FALSE(parse_video_tag(video));
  EXPECT_FALSE(parse_audio_tag({}));
}

TEST(FlvTags, MetadataKeysAreRead) {
  // "onMetaData", ECMA array of 2: width = 320 (number), encoder = "x" (string).
  std::vector<uint8_t> data = {
      0x02, 0x00, 0x0A, 'o', 'n', 'M', 'e', 't', 'a',  'D',  'a',  't',  'a', 0x08, 0,    0,   0,
      2,    0x00, 0x05, 'w', 'i', 'd', 't', 'h', 0x00, 0x40, 0x74, 0,    0,   0,    0,    0,   0,
      0x00, 0x07, 'e',  'n', 'c', 'o', 'd', 'e', 'r',  0x02, 0x00, 0x01, 'x', 0x00, 0x00, 0x09};
  auto metadata = parse_metadata(data);
  ASSERT_TRUE(metadata);
  EXPECT_EQ(metadata->at("width"), "320");
  EXPECT_EQ(metadata->at("encoder"), "x");
}

TEST(FlvTags, GarbageMetadataIsRefusedNotCrashedOn) {
  std::vector<uint8_t> data = {0x02, 0x00, 0x0A, 'o',  'n', 'M', 'e', 't', 'a',  'D',
                               'a',  't',  'a',  0x08, 0,   0,   0,   2,   0x00, 0xFF};
  EXPECT_FALSE(parse_metadata(data));
}

TEST(FlvTimestamps, TheExtensionByteIsTheTopOfAnUnsignedValue) {
  const uint8_t tag[kTagHeaderSize] = {9, 0, 0, 5, 0x00, 0x00, 0x01, 0x80, 0, 0, 0};
  EXPECT_EQ(parse_tag_header(std::span<const uint8_t, kTagHeaderSize>(tag)).timestamp_ms,
            0x80000001u);
}

TEST(FlvTimestamps, AStreamCrossing2To31And2To32GoesOnEvenly) {
  TimestampUnwrapper unwrapper;
  int64_t start = (int64_t{1} << 31) - 80;
  for (int64_t t = start; t < (int64_t{1} << 32) + 200; t += 40000) {
    EXPECT_EQ(unwrapper.unwrap(static_cast<uint32_t>(t)), t);
  }
  TimestampUnwrapper wrapping;
  int64_t near_end = (int64_t{1} << 32) - 100;
  EXPECT_EQ(wrapping.unwrap(static_cast<uint32_t>(near_end)), near_end);
  EXPECT_EQ(wrapping.unwrap(static_cast<uint32_t>(near_end + 40)), near_end + 40);
  EXPECT_EQ(wrapping.unwrap(20), (int64_t{1} << 32) + 20) << "the 32-bit value wrapped to 20";
  EXPECT_EQ(wrapping.unwrap(60), (int64_t{1} << 32) + 60);
  // A step back stays a step back (a discontinuity for the timeline to handle).
  EXPECT_EQ(wrapping.unwrap(10), (int64_t{1} << 32) + 10);
}
