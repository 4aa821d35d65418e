// Enhanced RTMP (v1) video tags as our writer builds them, checked byte for byte against tags
// built by hand from the specification, and the writer and reader as a pair over a long stream.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "media/av_handles.h"
#include "media/formats/codec_config.h"
#include "media/formats/flv_tag_writer.h"
#include "media/formats/flv_tags.h"
#include "unit/codec_parameters.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

using namespace streamrelay::media;
using Bytes = std::vector<uint8_t>;

namespace {

AvCodecParametersPtr parameters(AVCodecID codec, const Bytes& extradata = {}) {
  AVMediaType type = codec == AV_CODEC_ID_AAC ? AVMEDIA_TYPE_AUDIO : AVMEDIA_TYPE_VIDEO;
  return test::parameters(type, codec, extradata);
}

AvPacketPtr packet_of(const Bytes& data, int64_t dts, int64_t pts, bool is_key) {
  AvPacketPtr packet(av_packet_alloc());
  EXPECT_EQ(av_new_packet(packet.get(), static_cast<int>(data.size())), 0);
  std::copy(data.begin(), data.end(), packet->data);
  packet->dts = dts;
  packet->pts = pts;
  packet->flags = is_key ? AV_PKT_FLAG_KEY : 0;
  return packet;
}

Bytes joined(const flv::PacketBody& body) {
  Bytes out(body.header_bytes().begin(), body.header_bytes().end());
  out.insert(out.end(), body.data.begin(), body.data.end());
  return out;
}

Bytes concat(Bytes head, const Bytes& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// An hvcC record (ISO/IEC 14496-15, 8.3.3.1): version 1, Main profile, level 3.0, 4-byte
// lengths, one array (a VPS of two bytes).
const Bytes kHvcc = {1,    0x01, 0x60, 0,    0, 0, 0x90, 0, 0,    0, 0, 0, 90, 0xF0, 0,
                     0xFC, 0xFD, 0xF8, 0xF8, 0, 0, 0x0F, 1, 0xA0, 0, 1, 0, 2,  0x40, 0x01};
// An av1C record (AV1 ISOBMFF, 2.3): marker and version 0x81, profile 0 level 8, 4:2:0, no OBUs.
const Bytes kAv1c = {0x81, 0x08, 0x0C, 0x00};
// A vpcC box's contents (VP codec ISOBMFF binding, 2.2): version 1, flags 0, profile 0, level
// 10, 8-bit 4:2:0 colocated, BT.709 primaries, transfer and matrix, no initialization data.
const Bytes kVpcc = {1, 0, 0, 0, 0, 10, 0x82, 1, 1, 1, 0, 0};

}  // namespace

// The first byte: IsExHeader (0x80) | FrameType << 4 | PacketType; then the FourCC.
TEST(EnhancedRtmp, HevcFramesCarryTheFourCcAndTheirCompositionTime) {
  auto params = parameters(AV_CODEC_ID_HEVC, kHvcc);
  Bytes data = {0, 0, 0, 3, 0x26, 0x01, 0xAF};  // length-prefixed, as the record says
  Bytes scratch;
  // CodedFrames (1) with a composition time of +80 ms, SI24.
  EXPECT_EQ(joined(flv::packet_body(*params, *packet_of(data, 1000, 1080, true), scratch)),
            concat({0x91, 'h', 'v', 'c', '1', 0x00, 0x00, 0x50}, data));
  // A negative one.
  EXPECT_EQ(joined(flv::packet_body(*params, *packet_of(data, 1000, 960, false), scratch)),
            concat({0xA1, 'h', 'v', 'c', '1', 0xFF, 0xFF, 0xD8}, data));
  // None: CodedFramesX (3), which leaves it out.
  EXPECT_EQ(joined(flv::packet_body(*params, *packet_of(data, 1000, 1000, false), scratch)),
            concat({0xA3, 'h', 'v', 'c', '1'}, data));
}

TEST(EnhancedRtmp, AnnexBHevcBecomesLengthPrefixed) {
  auto params = parameters(AV_CODEC_ID_HEVC);  // no record: MPEG-TS hands out start codes
  Bytes data = {0, 0, 0, 1, 0x40, 0x01, 0x0C, 0, 0, 1, 0x26, 0x01, 0xAF};
  Bytes scratch;
  EXPECT_EQ(joined(flv::packet_body(*params, *packet_of(data, 0, 0, true), scratch)),
            (Bytes{0x93, 'h', 'v', 'c', '1', 0, 0, 0, 3, 0x40, 0x01, 0x0C, 0, 0, 0, 3, 0x26, 0x01,
                   0xAF}));
}

TEST(EnhancedRtmp, Av1AndVp9FramesHaveNoCompositionTime) {
  Bytes data = {0x32, 0x10, 0x55};
  Bytes scratch;
  auto av1 = parameters(AV_CODEC_ID_AV1, kAv1c);
  EXPECT_EQ(joined(flv::packet_body(*av1, *packet_of(data, 40, 40, true), scratch)),
            concat({0x91, 'a', 'v', '0', '1'}, data));
  EXPECT_EQ(joined(flv::packet_body(*av1, *packet_of(data, 80, 80, false), scratch)),
            concat({0xA1, 'a', 'v', '0', '1'}, data));
  auto vp9 = parameters(AV_CODEC_ID_VP9, kVpcc);
  EXPECT_EQ(joined(flv::packet_body(*vp9, *packet_of(data, 40, 40, true), scratch)),
            concat({0x91, 'v', 'p', '0', '9'}, data));
}

TEST(EnhancedRtmp, SequenceStartCarriesTheRecordAndSequenceEndTheFourCc) {
  EXPECT_EQ(flv::sequence_header_body(*parameters(AV_CODEC_ID_HEVC, kHvcc)),
            concat({0x90, 'h', 'v', 'c', '1'}, kHvcc));
  EXPECT_EQ(flv::sequence_header_body(*parameters(AV_CODEC_ID_AV1, kAv1c)),
            concat({0x90, 'a', 'v', '0', '1'}, kAv1c));
  EXPECT_EQ(flv::sequence_header_body(*parameters(AV_CODEC_ID_VP9, kVpcc)),
            concat({0x90, 'v', 'p', '0', '9'}, kVpcc));
  EXPECT_EQ(flv::end_of_sequence_body(*parameters(AV_CODEC_ID_HEVC, kHvcc)),
            (Bytes{0x92, 'h', 'v', 'c', '1'}));
  EXPECT_EQ(flv::end_of_sequence_body(*parameters(AV_CODEC_ID_H264)), (Bytes{0x17, 0x02, 0, 0, 0}));
}

TEST(EnhancedRtmp, MetadataNamesAnEnhancedCodecByItsFourCcValue) {
  auto hevc = parameters(AV_CODEC_ID_HEVC, kHvcc);
  hevc->width = 320;
  hevc->height = 240;
  auto metadata = flv::parse_metadata(flv::metadata_body(hevc.get(), {25, 1}, nullptr));
  ASSERT_TRUE(metadata);
  EXPECT_EQ((*metadata)["videocodecid"], "1752589105");  // 0x68766331, "hvc1"
  auto av1 = parameters(AV_CODEC_ID_AV1, kAv1c);
  metadata = flv::parse_metadata(flv::metadata_body(av1.get(), {25, 1}, nullptr));
  EXPECT_EQ((*metadata)["videocodecid"], "1635135537");  // 0x61763031, "av01"
}

TEST(EnhancedRtmp, TheReaderTakesFourCcTagsAndTheOlderHevcAndAv1Ids) {
  // (The tags' payloads point into their bytes: each is kept while it is looked at.)
  Bytes coded_bytes = {0x91, 'h', 'v', 'c', '1', 0xFF, 0xFF, 0xD8, 7};
  auto coded = flv::parse_video_tag(coded_bytes);
  ASSERT_TRUE(coded);
  EXPECT_EQ(coded->codec, flv::VideoCodec::hevc);
  EXPECT_TRUE(coded->is_enhanced && coded->is_media && coded->is_keyframe);
  EXPECT_EQ(coded->composition_time_ms, -40);
  EXPECT_EQ(coded->payload.size(), 1u);
  Bytes start_bytes = concat({0x90, 'a', 'v', '0', '1'}, kAv1c);
  auto start = flv::parse_video_tag(start_bytes);
  ASSERT_TRUE(start);
  EXPECT_TRUE(start->is_sequence_header);
  EXPECT_FALSE(start->is_media);
  EXPECT_EQ(Bytes(start->payload.begin(), start->payload.end()), kAv1c);
  // Metadata (HDR colour info) and a command frame carry no picture.
  EXPECT_FALSE(flv::parse_video_tag(Bytes{0x94, 'h', 'v', 'c', '1', 2})->is_media);
  EXPECT_FALSE(flv::parse_video_tag(Bytes{0xD1, 'h', 'v', 'c', '1', 0, 0, 0, 1})->is_media);
  // A FourCC we do not relay, and a tag cut short.
  EXPECT_EQ(flv::parse_video_tag(Bytes{0x91, 'v', 'p', '0', '8', 1})->codec,
            flv::VideoCodec::other);
  EXPECT_FALSE(flv::parse_video_tag(Bytes{0x91, 'h', 'v', 'c'}));
  EXPECT_FALSE(flv::parse_video_tag(Bytes{0x91, 'h', 'v', 'c', '1', 0}));
  // HEVC and AV1 as codec ids 12 and 13 (as node-media-server 2.x writes them).
  Bytes legacy_bytes = {0x2C, 1, 0, 0, 0x28, 9};
  auto legacy = flv::parse_video_tag(legacy_bytes);
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->codec, flv::VideoCodec::hevc);
  EXPECT_TRUE(legacy->is_media);
  EXPECT_EQ(legacy->composition_time_ms, 40);
  EXPECT_EQ(flv::parse_video_tag(Bytes{0x1D, 0, 0, 0, 0, 0x81})->codec, flv::VideoCodec::av1);
}

// The records of real encoders' Annex B / OBU configurations, made by libavformat's MP4 muxer.
TEST(EnhancedRtmp, RecordsAreMadeFromWhatEncodersGive) {
  struct Case {
    const char* encoder;
    uint8_t first_byte;
  };
  for (const Case& item : {Case{"libx265", 1}, Case{"libaom-av1", 0x81}, Case{"libvpx-vp9", 1}}) {
    SCOPED_TRACE(item.encoder);
    const AVCodec* codec = avcodec_find_encoder_by_name(item.encoder);
    ASSERT_TRUE(codec);
    AVCodecContext* context = avcodec_alloc_context3(codec);
    context->width = 64;
    context->height = 64;
    context->pix_fmt = AV_PIX_FMT_YUV420P;
    context->time_base = {1, 25};
    context->framerate = {25, 1};
    context->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (std::string(item.encoder) == "libx265") {
      av_opt_set(context->priv_data, "x265-params", "log-level=error", 0);
    }
    // (libaom rather than SVT-AV1 here: SVT-AV1 hangs when closed before it got a frame.)
    if (std::string(item.encoder) == "libaom-av1")
      av_opt_set(context->priv_data, "cpu-used", "8", 0);
    ASSERT_EQ(avcodec_open2(context, codec, nullptr), 0);
    AvCodecParametersPtr params(avcodec_parameters_alloc());
    avcodec_parameters_from_context(params.get(), context);
    if (params->extradata_size == 0 && params->codec_id == AV_CODEC_ID_AV1) {
      // libaom gives no global header: a keyframe's OBUs hold the sequence header.
      AVFrame* frame = av_frame_alloc();
      frame->width = 64;
      frame->height = 64;
      frame->format = AV_PIX_FMT_YUV420P;
      ASSERT_EQ(av_frame_get_buffer(frame, 0), 0);
      for (int plane = 0; plane < 3; ++plane) {
        std::fill_n(frame->data[plane], frame->linesize[plane] * (plane ? 32 : 64), 128);
      }
      frame->pts = 0;
      ASSERT_EQ(avcodec_send_frame(context, frame), 0);
      av_frame_free(&frame);
      avcodec_send_frame(context, nullptr);
      AvPacketPtr packet(av_packet_alloc());
      ASSERT_EQ(avcodec_receive_packet(context, packet.get()), 0);
      params = parameters(AV_CODEC_ID_AV1, Bytes(packet->data, packet->data + packet->size));
    }
    avcodec_free_context(&context);
    Bytes record = configuration_record(*params);
    ASSERT_FALSE(record.empty());
    EXPECT_EQ(record[0], item.first_byte);
    if (params->codec_id == AV_CODEC_ID_HEVC) {
      EXPECT_EQ(record[21] & 0x03, 3) << "4-byte NAL unit lengths";
      ASSERT_GE(record.size(), 23u);
      EXPECT_GE(record[22], 3) << "VPS, SPS and PPS arrays (and x265's SEI)";
      EXPECT_EQ(record[23] & 0x3F, 32);  // the first array holds the VPS
    }
    if (params->codec_id == AV_CODEC_ID_AV1) {
      ASSERT_GT(record.size(), 4u);
      EXPECT_EQ((record[4] >> 3) & 0x0F, 1) << "the sequence header OBU follows";
    }
    if (params->codec_id == AV_CODEC_ID_VP9) {
      EXPECT_EQ(record.size(), 12u);
    }
    // A record given is passed on as it is.
    auto given = parameters(params->codec_id, record);
    EXPECT_EQ(configuration_record(*given), record);
  }
}

// The writer's tags read back by the reader: 10,000 packets of every codec it writes, frame
// types, composition times and payloads intact.
TEST(EnhancedRtmp, TenThousandPacketsRoundTripThroughWriterAndReader) {
  std::mt19937 random(20261202);
  std::vector<AvCodecParametersPtr> tracks;
  tracks.push_back(parameters(AV_CODEC_ID_HEVC, kHvcc));
  tracks.push_back(parameters(AV_CODEC_ID_AV1, kAv1c));
  tracks.push_back(parameters(AV_CODEC_ID_VP9, kVpcc));
  tracks.push_back(parameters(AV_CODEC_ID_H264, {1, 0x64, 0, 0x1F, 0xFF}));
  auto aac = parameters(AV_CODEC_ID_AAC, {0x12, 0x10});
  aac->sample_rate = 44100;
  av_channel_layout_default(&aac->ch_layout, 2);
  tracks.push_back(std::move(aac));
  Bytes scratch;
  int64_t dts = 0;
  for (int i = 0; i < 10000; ++i) {
    const AVCodecParameters& params = *tracks[random() % tracks.size()];
    Bytes data(1 + random() % 3000);
    for (uint8_t& byte : data) byte = static_cast<uint8_t>(random());
    if (params.codec_id == AV_CODEC_ID_HEVC || params.codec_id == AV_CODEC_ID_H264) {
      // One length-prefixed NAL unit filling the packet.
      uint32_t size = static_cast<uint32_t>(data.size());
      data.insert(data.begin(), {static_cast<uint8_t>(size >> 24), static_cast<uint8_t>(size >> 16),
                                 static_cast<uint8_t>(size >> 8), static_cast<uint8_t>(size)});
    }
    bool is_key = random() % 10 == 0;
    bool has_cts = params.codec_id == AV_CODEC_ID_HEVC || params.codec_id == AV_CODEC_ID_H264;
    int64_t cts = has_cts ? static_cast<int64_t>(random() % 400) - 200 : 0;
    dts += 1 + random() % 40;
    auto packet = packet_of(data, dts, dts + cts, is_key);
    Bytes body = joined(flv::packet_body(params, *packet, scratch));
    SCOPED_TRACE("packet " + std::to_string(i) + " " + avcodec_get_name(params.codec_id));
    if (params.codec_type == AVMEDIA_TYPE_AUDIO) {
      auto tag = flv::parse_audio_tag(body);
      ASSERT_TRUE(tag);
      EXPECT_EQ(tag->sound_format, flv::kSoundFormatAac);
      EXPECT_FALSE(tag->is_sequence_header);
      ASSERT_EQ(Bytes(tag->payload.begin(), tag->payload.end()), data);
      continue;
    }
    auto tag = flv::parse_video_tag(body);
    ASSERT_TRUE(tag);
    EXPECT_EQ(tag->codec, flv::video_codec_of(params.codec_id));
    EXPECT_EQ(tag->is_enhanced, flv::needs_enhanced_rtmp(params.codec_id));
    EXPECT_TRUE(tag->is_media);
    EXPECT_EQ(tag->is_keyframe, is_key);
    EXPECT_EQ(tag->composition_time_ms, cts);
    ASSERT_EQ(Bytes(tag->payload.begin(), tag->payload.end()), data);
  }
}
