#include "media/formats/flv_tag_writer.h"

#include <algorithm>
#include <string>

#include "media/big_endian.h"
#include "media/formats/codec_config.h"
#include "media/formats/flv_tags.h"
#include "media/rtmp/codec/amf0.h"

namespace streamrelay::media::flv {
namespace {

constexpr uint8_t kKeyFrame = 1;
constexpr uint8_t kInterFrame = 2;
constexpr uint8_t kAvcSequenceHeader = 0;
constexpr uint8_t kAvcNalu = 1;
constexpr uint8_t kAvcEndOfSequence = 2;
constexpr uint8_t kNalSps = 7;
constexpr uint8_t kNalPps = 8;
constexpr uint8_t kEnhanced = 0x80;  // the top bit of a video tag's first byte: a FourCC follows

// An enhanced RTMP video tag's first five bytes: the flag, frame type and packet type, FourCC.
std::array<uint8_t, 5> enhanced_header(bool is_key, VideoPacketType type, VideoCodec codec) {
  auto fourcc = video_fourcc(codec);
  return {static_cast<uint8_t>(kEnhanced | ((is_key ? kKeyFrame : kInterFrame) << 4) |
                               static_cast<uint8_t>(type)),
          fourcc[0], fourcc[1], fourcc[2], fourcc[3]};
}

// Whether H.264 or HEVC data comes with start codes: the configuration says (a record starts with
// version 1), and without one the data itself.
bool is_annex_b_stream(const AVCodecParameters& params, std::span<const uint8_t> data) {
  return params.extradata_size > 0 ? params.extradata[0] != 1 : is_annex_b(data);
}

// The NAL units of Annex B data, start codes left out.
std::vector<std::span<const uint8_t>> split_annex_b(std::span<const uint8_t> data) {
  std::vector<std::span<const uint8_t>> units;
  size_t at = 0;
  size_t start = std::string::npos;
  while (at + 3 <= data.size()) {
    if (data[at] == 0 && data[at + 1] == 0 && data[at + 2] == 1) {
      if (start != std::string::npos) {
        size_t end = at;
        while (end > start && data[end - 1] == 0) --end;  // a four-byte start code's zero
        if (end > start) units.push_back(data.subspan(start, end - start));
      }
      at += 3;
      start = at;
    } else {
      ++at;
    }
  }
  if (start != std::string::npos && start < data.size()) units.push_back(data.subspan(start));
  return units;
}

int channel_count(const AVCodecParameters& params) {
  return params.ch_layout.nb_channels;
}

// The first byte of an audio tag: format, rate, sample size and channels (FLV specification
// E.4.2.1; AAC always says 44 kHz, 16-bit, stereo).
uint8_t audio_flags(const AVCodecParameters& params) {
  if (params.codec_id == AV_CODEC_ID_AAC) return (kSoundFormatAac << 4) | (3 << 2) | (1 << 1) | 1;
  uint8_t rate = 0;
  switch (params.sample_rate) {
    case 48000:  // MP3 at 48 kHz is announced as 44 kHz, as libavformat does
    case 44100:
      rate = 3;
      break;
    case 22050:
      rate = 2;
      break;
    case 11025:
      rate = 1;
      break;
    default:
      rate = 0;
  }
  uint8_t stereo = channel_count(params) > 1 ? 1 : 0;
  return static_cast<uint8_t>((kSoundFormatMp3 << 4) | (rate << 2) | (1 << 1) | stereo);
}

// An AVC decoder configuration record (ISO/IEC 14496-15, 5.2.4.1) from Annex B SPS and PPS.
std::vector<uint8_t> avc_configuration_from_annex_b(std::span<const uint8_t> data) {
  std::vector<std::span<const uint8_t>> sps;
  std::vector<std::span<const uint8_t>> pps;
  for (std::span<const uint8_t> unit : split_annex_b(data)) {
    if (unit.empty() || unit.size() > 0xFFFF) continue;
    uint8_t type = unit[0] & 0x1F;
    if (type == kNalSps && unit.size() >= 4 && sps.size() < 31) sps.push_back(unit);
    if (type == kNalPps && pps.size() < 255) pps.push_back(unit);
  }
  if (sps.empty() || pps.empty()) return {};
  std::vector<uint8_t> record = {1,         sps[0][1], sps[0][2],
                                 sps[0][3], 0xFF,      static_cast<uint8_t>(0xE0 | sps.size())};
  for (auto unit : sps) {
    put_be(record, static_cast<uint32_t>(unit.size()), 2);
    record.insert(record.end(), unit.begin(), unit.end());
  }
  record.push_back(static_cast<uint8_t>(pps.size()));
  for (auto unit : pps) {
    put_be(record, static_cast<uint32_t>(unit.size()), 2);
    record.insert(record.end(), unit.begin(), unit.end());
  }
  return record;
}

// Annex B NAL units made length-prefixed (4 bytes), as avcC and hvcC records say.
std::span<const uint8_t> length_prefixed(std::span<const uint8_t> data,
                                         std::vector<uint8_t>& scratch) {
  scratch.clear();
  for (std::span<const uint8_t> unit : split_annex_b(data)) {
    put_be(scratch, static_cast<uint32_t>(unit.size()), 4);
    scratch.insert(scratch.end(), unit.begin(), unit.end());
  }
  return scratch;
}

}  // namespace

VideoCodec video_codec_of(AVCodecID codec) {
  switch (codec) {
    case AV_CODEC_ID_H264:
      return VideoCodec::avc;
    case AV_CODEC_ID_HEVC:
      return VideoCodec::hevc;
    case AV_CODEC_ID_AV1:
      return VideoCodec::av1;
    case AV_CODEC_ID_VP9:
      return VideoCodec::vp9;
    default:
      return VideoCodec::other;
  }
}

AVCodecID codec_id_of(VideoCodec codec) {
  for (AVCodecID id : {AV_CODEC_ID_H264, AV_CODEC_ID_HEVC, AV_CODEC_ID_AV1, AV_CODEC_ID_VP9}) {
    if (video_codec_of(id) == codec) return id;
  }
  return AV_CODEC_ID_NONE;
}

bool needs_enhanced_rtmp(AVCodecID codec) {
  VideoCodec video = video_codec_of(codec);
  return video != VideoCodec::other && video != VideoCodec::avc;
}

bool can_write(const AVCodecParameters& params) {
  return video_codec_of(params.codec_id) != VideoCodec::other ||
         params.codec_id == AV_CODEC_ID_AAC || params.codec_id == AV_CODEC_ID_MP3;
}

bool is_annex_b(std::span<const uint8_t> data) {
  if (data.size() >= 3 && data[0] == 0 && data[1] == 0 && data[2] == 1) return true;
  return data.size() >= 4 && data[0] == 0 && data[1] == 0 && data[2] == 0 && data[3] == 1;
}

std::vector<uint8_t> metadata_body(const AVCodecParameters* video, AVRational frame_rate,
                                   const AVCodecParameters* audio) {
  struct Entry {
    const char* key;
    double number;
    bool is_bool;
  };
  std::vector<Entry> entries;
  if (video) {
    entries.push_back({"width", static_cast<double>(video->width), false});
    entries.push_back({"height", static_cast<double>(video->height), false});
    entries.push_back({"videodatarate", static_cast<double>(video->bit_rate) / 1024.0, false});
    if (frame_rate.num > 0 && frame_rate.den > 0) {
      entries.push_back({"framerate", av_q2d(frame_rate), false});
    }
    // An enhanced codec is named by its FourCC's value (enhanced RTMP v1, onMetaData).
    VideoCodec codec = video_codec_of(video->codec_id);
    double id = codec == VideoCodec::avc ? kVideoCodecAvc : fourcc_number(codec);
    entries.push_back({"videocodecid", id, false});
  }
  if (audio) {
    entries.push_back({"audiodatarate", static_cast<double>(audio->bit_rate) / 1024.0, false});
    entries.push_back({"audiosamplerate", static_cast<double>(audio->sample_rate), false});
    entries.push_back({"audiosamplesize", 16, false});
    entries.push_back({"stereo", channel_count(*audio) == 2 ? 1.0 : 0.0, true});
    double codec = audio->codec_id == AV_CODEC_ID_AAC ? kSoundFormatAac : kSoundFormatMp3;
    entries.push_back({"audiocodecid", codec, false});
  }
  amf0::Writer writer;
  writer.string("onMetaData");
  writer.begin_ecma_array(static_cast<uint32_t>(entries.size() + 1));
  for (const Entry& entry : entries) {
    if (entry.is_bool) {
      writer.property(entry.key, entry.number != 0);
    } else {
      writer.property(entry.key, entry.number);
    }
  }
  writer.property("encoder", "streamrelay");
  writer.end_object();
  return writer.bytes();
}

std::vector<uint8_t> sequence_header_body(const AVCodecParameters& params) {
  std::span<const uint8_t> configuration(params.extradata,
                                         static_cast<size_t>(std::max(params.extradata_size, 0)));
  if (configuration.empty() && params.codec_id != AV_CODEC_ID_VP9) return {};
  if (params.codec_id == AV_CODEC_ID_H264) {
    std::vector<uint8_t> body = {(kKeyFrame << 4) | kVideoCodecAvc, kAvcSequenceHeader, 0, 0, 0};
    if (configuration[0] == 1) {
      body.insert(body.end(), configuration.begin(), configuration.end());
      return body;
    }
    std::vector<uint8_t> record = avc_configuration_from_annex_b(configuration);
    if (record.empty()) return {};
    body.insert(body.end(), record.begin(), record.end());
    return body;
  }
  if (needs_enhanced_rtmp(params.codec_id)) {
    std::vector<uint8_t> record = configuration_record(params);
    if (record.empty()) return {};
    auto header =
        enhanced_header(true, VideoPacketType::sequence_start, video_codec_of(params.codec_id));
    std::vector<uint8_t> body(header.begin(), header.end());
    body.insert(body.end(), record.begin(), record.end());
    return body;
  }
  if (params.codec_id == AV_CODEC_ID_AAC) {
    std::vector<uint8_t> body = {audio_flags(params), 0};  // 0: AAC sequence header
    body.insert(body.end(), configuration.begin(), configuration.end());
    return body;
  }
  return {};
}

PacketBody packet_body(const AVCodecParameters& params, const AVPacket& packet,
                       std::vector<uint8_t>& scratch) {
  PacketBody body;
  std::span<const uint8_t> data(packet.data, static_cast<size_t>(packet.size));
  body.data = data;
  bool is_key = (packet.flags & AV_PKT_FLAG_KEY) != 0;
  auto composition = static_cast<uint32_t>(packet.pts - packet.dts);  // 24-bit, signed
  std::array<uint8_t, 3> composition_bytes = {static_cast<uint8_t>(composition >> 16),
                                              static_cast<uint8_t>(composition >> 8),
                                              static_cast<uint8_t>(composition)};
  VideoCodec codec = video_codec_of(params.codec_id);
  if (codec == VideoCodec::avc) {
    body.header = {static_cast<uint8_t>(((is_key ? kKeyFrame : kInterFrame) << 4) | kVideoCodecAvc),
                   kAvcNalu, composition_bytes[0], composition_bytes[1], composition_bytes[2]};
    body.header_size = 5;
    if (is_annex_b_stream(params, data)) body.data = length_prefixed(data, scratch);
    return body;
  }
  if (codec != VideoCodec::other) {
    // HEVC has a composition time (CodedFrames); when it is zero, CodedFramesX leaves it out.
    bool has_composition = codec == VideoCodec::hevc && packet.pts != packet.dts;
    auto type = has_composition || codec != VideoCodec::hevc ? VideoPacketType::coded_frames
                                                             : VideoPacketType::coded_frames_x;
    auto header = enhanced_header(is_key, type, codec);
    std::copy(header.begin(), header.end(), body.header.begin());
    body.header_size = header.size();
    if (has_composition) {
      std::copy(composition_bytes.begin(), composition_bytes.end(), body.header.begin() + 5);
      body.header_size += 3;
    }
    if (codec == VideoCodec::hevc && is_annex_b_stream(params, data)) {
      body.data = length_prefixed(data, scratch);
    }
    return body;
  }
  body.header[0] = audio_flags(params);
  body.header_size = 1;
  if (params.codec_id == AV_CODEC_ID_AAC) {
    body.header[1] = 1;  // raw AAC frame
    body.header_size = 2;
  }
  return body;
}

std::vector<uint8_t> end_of_sequence_body(const AVCodecParameters& params) {
  VideoCodec codec = video_codec_of(params.codec_id);
  if (codec == VideoCodec::avc)
    return {(kKeyFrame << 4) | kVideoCodecAvc, kAvcEndOfSequence, 0, 0, 0};
  if (codec == VideoCodec::other) return {};
  auto header = enhanced_header(true, VideoPacketType::sequence_end, codec);
  return {header.begin(), header.end()};
}

}  // namespace streamrelay::media::flv
