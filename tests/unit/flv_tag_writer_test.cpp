// The tag bodies a publish session sends, byte for byte, and read back by our FLV tag parser.
#include <gtest/gtest.h>

#include <vector>

#include "media/av_handles.h"
#include "media/formats/flv_tag_writer.h"
#include "media/formats/flv_tags.h"
#include "unit/codec_parameters.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

using namespace streamrelay::media;
using Bytes = std::vector<uint8_t>;

namespace {

using test::parameters;

Bytes joined(const flv::PacketBody& body) {
  Bytes out(body.header_bytes().begin(), body.header_bytes().end());
  out.insert(out.end(), body.data.begin(), body.data.end());
  return out;
}

// A minimal SPS (profile 100, level 31) and PPS.
const Bytes kSps = {0x67, 0x64, 0x00, 0x1F, 0xAC, 0xD9};
const Bytes kPps = {0x68, 0xEB, 0xE3, 0xCB};

Bytes annex_b_config() {
  Bytes out = {0, 0, 0, 1};
  out.insert(out.end(), kSps.begin(), kSps.end());
  out.insert(out.end(), {0, 0, 1});
  out.insert(out.end(), kPps.begin(), kPps.end());
  return out;
}

}  // namespace

TEST(FlvTagWriter, AvcPacketCarriesFrameTypeAndSignedCompositionTime) {
  auto params = parameters(AVMEDIA_TYPE_VIDEO, AV_CODEC_ID_H264, {1, 0x64, 0, 0x1F, 0xFF});
  AvPacketPtr packet(av_packet_alloc());
  Bytes nal = {0, 0, 0, 2, 0x65, 0x88};  // length-prefixed, as avcC says
  ASSERT_EQ(av_new_packet(packet.get(), static_cast<int>(nal.size())), 0);
  std::copy(nal.begin(), nal.end(), packet->data);
  packet->dts = 1000;
  packet->pts = 960;  // composition time -40
  packet->flags = AV_PKT_FLAG_KEY;
  Bytes scratch;
  Bytes body = joined(flv::packet_body(*params, *packet, scratch));
  EXPECT_EQ(body, (Bytes{0x17, 0x01, 0xFF, 0xFF, 0xD8, 0, 0, 0, 2, 0x65, 0x88}));
  auto tag = flv::parse_video_tag(body);
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->composition_time_ms, -40);
  EXPECT_TRUE(tag->is_keyframe);

  packet->flags = 0;
  packet->pts = 1080;
  body = joined(flv::packet_body(*params, *packet, scratch));
  EXPECT_EQ(Bytes(body.begin(), body.begin() + 5), (Bytes{0x27, 0x01, 0x00, 0x00, 0x50}));
}

TEST(FlvTagWriter, AnnexBBecomesLengthPrefixedAndItsConfigurationARecord) {
  auto params = parameters(AVMEDIA_TYPE_VIDEO, AV_CODEC_ID_H264, annex_b_config());
  Bytes header = flv::sequence_header_body(*params);
  Bytes expected = {0x17, 0x00, 0, 0, 0, 1, 0x64, 0x00, 0x1F, 0xFF, 0xE1, 0, 6};
  expected.insert(expected.end(), kSps.begin(), kSps.end());
  expected.insert(expected.end(), {1, 0, 4});
  expected.insert(expected.end(), kPps.begin(), kPps.end());
  EXPECT_EQ(header, expected);

  AvPacketPtr packet(av_packet_alloc());
  Bytes data = {0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00};
  ASSERT_EQ(av_new_packet(packet.get(), static_cast<int>(data.size())), 0);
  std::copy(data.begin(), data.end(), packet->data);
  packet->dts = packet->pts = 0;
  Bytes scratch;
  Bytes body = joined(flv::packet_body(*params, *packet, scratch));
  // The trailing zero of the second unit is the next start code's (none follows): kept.
  EXPECT_EQ(body, (Bytes{0x27, 0x01, 0, 0, 0, 0, 0, 0, 2, 0x09, 0xF0, 0, 0, 0, 4, 0x65, 0x88, 0x84,
                         0x00}));
}

TEST(FlvTagWriter, ConfigurationWithoutPpsGivesNoSequenceHeader) {
  Bytes sps_only = {0, 0, 0, 1};
  sps_only.insert(sps_only.end(), kSps.begin(), kSps.end());
  auto params = parameters(AVMEDIA_TYPE_VIDEO, AV_CODEC_ID_H264, sps_only);
  EXPECT_TRUE(flv::sequence_header_body(*params).empty());
}

TEST(FlvTagWriter, AudioFlagsFollowTheCodec) {
  auto aac = parameters(AVMEDIA_TYPE_AUDIO, AV_CODEC_ID_AAC, {0x12, 0x10});
  EXPECT_EQ(flv::sequence_header_body(*aac), (Bytes{0xAF, 0x00, 0x12, 0x10}));
  AvPacketPtr packet(av_packet_alloc());
  ASSERT_EQ(av_new_packet(packet.get(), 2), 0);
  packet->data[0] = 0x21;
  packet->data[1] = 0x00;
  Bytes scratch;
  EXPECT_EQ(joined(flv::packet_body(*aac, *packet, scratch)), (Bytes{0xAF, 0x01, 0x21, 0x00}));

  auto mp3 = parameters(AVMEDIA_TYPE_AUDIO, AV_CODEC_ID_MP3, {0x21, 0x00});  // no header even so
  mp3->sample_rate = 44100;
  av_channel_layout_default(&mp3->ch_layout, 2);
  EXPECT_EQ(flv::packet_body(*mp3, *packet, scratch).header_bytes()[0], 0x2F);
  mp3->sample_rate = 22050;
  av_channel_layout_default(&mp3->ch_layout, 1);
  EXPECT_EQ(flv::packet_body(*mp3, *packet, scratch).header_bytes()[0], 0x2A);
  EXPECT_TRUE(flv::sequence_header_body(*mp3).empty());
  auto tag = flv::parse_audio_tag(joined(flv::packet_body(*aac, *packet, scratch)));
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->sound_format, flv::kSoundFormatAac);
  EXPECT_FALSE(tag->is_sequence_header);
}

TEST(FlvTagWriter, MetadataAnnouncesTheTracks) {
  auto video = parameters(AVMEDIA_TYPE_VIDEO, AV_CODEC_ID_H264);
  video->width = 1280;
  video->height = 720;
  auto audio = parameters(AVMEDIA_TYPE_AUDIO, AV_CODEC_ID_AAC);
  audio->sample_rate = 48000;
  av_channel_layout_default(&audio->ch_layout, 2);
  Bytes body = flv::metadata_body(video.get(), {30000, 1001}, audio.get());
  auto metadata = flv::parse_metadata(body);
  ASSERT_TRUE(metadata);
  EXPECT_EQ((*metadata)["width"], "1280");
  EXPECT_EQ((*metadata)["height"], "720");
  EXPECT_EQ((*metadata)["framerate"].substr(0, 5), "29.97");
  EXPECT_EQ((*metadata)["videocodecid"], "7");
  EXPECT_EQ((*metadata)["audiocodecid"], "10");
  EXPECT_EQ((*metadata)["audiosamplerate"], "48000");
  EXPECT_EQ((*metadata)["stereo"], "true");
  EXPECT_EQ((*metadata)["encoder"], "streamrelay");

  Bytes audio_only = flv::metadata_body(nullptr, {0, 1}, audio.get());
  metadata = flv::parse_metadata(audio_only);
  ASSERT_TRUE(metadata);
  EXPECT_FALSE(metadata->contains("width"));
  EXPECT_FALSE(metadata->contains("framerate"));
  EXPECT_EQ((*metadata)["audiocodecid"], "10");
}
