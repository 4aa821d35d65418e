#include "media/formats/flv_tags.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <sstream>

namespace streamrelay::media::flv {
namespace {

uint32_t read_u24(const uint8_t* p) {
  return (uint32_t(p[0]) << 16) | (uint32_t(p[1]) << 8) | p[2];
}
uint16_t read_u16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
uint32_t read_u32(const uint8_t* p) {
  return (read_u24(p) << 8) | p[3];
}

// A cursor over AMF0 data that fails softly on truncation.
class AmfReader {
 public:
  explicit AmfReader(std::span<const uint8_t> data) : data_(data) {}
  bool has(size_t count) const { return at_ + count <= data_.size(); }
  uint8_t u8() { return data_[at_++]; }
  uint16_t u16() {
    uint16_t value = read_u16(&data_[at_]);
    at_ += 2;
    return value;
  }
  uint32_t u32() {
    uint32_t value = read_u32(&data_[at_]);
    at_ += 4;
    return value;
  }
  std::optional<std::string> short_string() {
    if (!has(2)) return std::nullopt;
    uint16_t length = u16();
    if (!has(length)) return std::nullopt;
    std::string text(reinterpret_cast<const char*>(&data_[at_]), length);
    at_ += length;
    return text;
  }
  std::optional<double> number() {
    if (!has(8)) return std::nullopt;
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | data_[at_ + i];
    at_ += 8;
    return std::bit_cast<double>(bits);
  }
  // Reads one value; scalars go into `out` under `key`, containers are walked (depth-bounded).
  bool value(const std::string& key, Metadata& out, int depth) {
    if (!has(1) || depth > 8) return false;
    uint8_t marker = u8();
    switch (marker) {
      case 0x00: {  // number
        auto number_value = number();
        if (!number_value) return false;
        std::ostringstream text;
        text.precision(15);  // whole: a FourCC's value (videocodecid) has ten digits
        text << *number_value;
        out[key] = text.str();
        return true;
      }
      case 0x01:  // boolean
        if (!has(1)) return false;
        out[key] = u8() ? "true" : "false";
        return true;
      case 0x02: {  // string
        auto text = short_string();
        if (!text) return false;
        out[key] = *text;
        return true;
      }
      case 0x03:  // object
        return properties(out, depth);
      case 0x08:  // ECMA array: a count, then properties
        if (!has(4)) return false;
        u32();
        return properties(out, depth);
      case 0x05:  // null
      case 0x06:  // undefined
        return true;
      case 0x0A: {  // strict array
        if (!has(4)) return false;
        uint32_t count = u32();
        for (uint32_t i = 0; i < count; ++i) {
          Metadata ignored;
          if (!value("", ignored, depth + 1)) return false;
        }
        return true;
      }
      case 0x0B:  // date
        if (!has(10)) return false;
        at_ += 10;
        return true;
      default:
        return false;
    }
  }
  bool properties(Metadata& out, int depth) {
    for (;;) {
      auto key = short_string();
      if (!key) return false;
      if (key->empty()) {
        if (has(1) && data_[at_] == 0x09) ++at_;  // object end
        return true;
      }
      if (!value(*key, out, depth + 1)) return false;
    }
  }

 private:
  std::span<const uint8_t> data_;
  size_t at_ = 0;
};

}  // namespace

bool is_file_header(std::span<const uint8_t> bytes) {
  return bytes.size() >= 3 && bytes[0] == 'F' && bytes[1] == 'L' && bytes[2] == 'V';
}

TagHeader parse_tag_header(std::span<const uint8_t, kTagHeaderSize> bytes) {
  TagHeader header;
  header.type = bytes[0] & 0x1F;
  header.data_size = read_u24(&bytes[1]);
  header.timestamp_ms = read_u24(&bytes[4]) | (uint32_t(bytes[7]) << 24);
  return header;
}

int64_t TimestampUnwrapper::unwrap(uint32_t timestamp) {
  int64_t out = timestamp;
  if (last_) {
    // The step from the last one, read modulo 2^32 as the shorter way round.
    auto step = static_cast<int32_t>(timestamp - last_->first);
    out = last_->second + step;
  }
  last_ = {timestamp, out};
  return out;
}

std::array<uint8_t, 4> video_fourcc(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::avc:
      return {'a', 'v', 'c', '1'};
    case VideoCodec::hevc:
      return {'h', 'v', 'c', '1'};
    case VideoCodec::av1:
      return {'a', 'v', '0', '1'};
    case VideoCodec::vp9:
      return {'v', 'p', '0', '9'};
    case VideoCodec::other:
      break;
  }
  return {0, 0, 0, 0};
}

uint32_t fourcc_number(VideoCodec codec) {
  return read_u32(video_fourcc(codec).data());
}

namespace {

constexpr uint8_t kCommandFrame = 5;  // frame type: a command (seek start/end), not media

VideoCodec codec_of_fourcc(std::span<const uint8_t> fourcc) {
  for (VideoCodec codec : {VideoCodec::avc, VideoCodec::hevc, VideoCodec::av1, VideoCodec::vp9}) {
    auto known = video_fourcc(codec);
    if (std::equal(known.begin(), known.end(), fourcc.begin())) return codec;
  }
  return VideoCodec::other;
}

int32_t read_composition_time(const uint8_t* p) {
  int32_t cts = static_cast<int32_t>(read_u24(p));
  if (cts & 0x800000) cts -= 0x1000000;  // 24-bit signed
  return cts;
}

// An enhanced RTMP tag: frame type and packet type in the first byte, then the FourCC.
std::optional<VideoTag> parse_enhanced_video_tag(std::span<const uint8_t> data, VideoTag tag) {
  if (data.size() < 5) return std::nullopt;
  tag.is_enhanced = true;
  tag.codec = codec_of_fourcc(data.subspan(1, 4));
  uint8_t frame_type = (data[0] >> 4) & 0x07;
  auto packet_type = static_cast<VideoPacketType>(data[0] & 0x0F);
  tag.payload = data.subspan(5);
  if (frame_type == kCommandFrame) return tag;
  switch (packet_type) {
    case VideoPacketType::sequence_start:
      tag.is_sequence_header = true;
      return tag;
    case VideoPacketType::sequence_end:
      tag.is_end_of_sequence = true;
      return tag;
    case VideoPacketType::coded_frames:
      // Only AVC and HEVC carry a composition time here.
      if (tag.codec == VideoCodec::hevc || tag.codec == VideoCodec::avc) {
        if (data.size() < 8) return std::nullopt;
        tag.composition_time_ms = read_composition_time(&data[5]);
        tag.payload = data.subspan(8);
      }
      tag.is_media = true;
      return tag;
    case VideoPacketType::coded_frames_x:
      tag.is_media = true;
      return tag;
    default:  // metadata (HDR), an MPEG-2 TS AV1 header, multitrack: nothing we relay
      return tag;
  }
}

}  // namespace

std::optional<VideoTag> parse_video_tag(std::span<const uint8_t> data) {
  if (data.empty()) return std::nullopt;
  VideoTag tag;
  tag.is_keyframe = ((data[0] >> 4) & 0x07) == 1;
  // An enhanced RTMP header (top bit set) carries a FourCC, not a legacy codec id.
  if (data[0] & 0x80) return parse_enhanced_video_tag(data, tag);
  tag.codec_id = data[0] & 0x0F;
  switch (tag.codec_id) {
    case kVideoCodecAvc:
      tag.codec = VideoCodec::avc;
      break;
    case kVideoCodecHevcLegacy:
      tag.codec = VideoCodec::hevc;
      break;
    case kVideoCodecAv1Legacy:
      tag.codec = VideoCodec::av1;
      break;
    default:
      tag.payload = data.subspan(1);
      return tag;
  }
  if (data.size() < 5) return std::nullopt;
  uint8_t packet_type = data[1];
  tag.is_sequence_header = packet_type == 0;
  tag.is_end_of_sequence = packet_type == 2;
  tag.is_media = packet_type == 1 && ((data[0] >> 4) & 0x07) != kCommandFrame;
  tag.composition_time_ms = read_composition_time(&data[2]);
  tag.payload = data.subspan(5);
  return tag;
}

namespace {

// Enhanced RTMP puts a FourCC after the first byte when that byte's top bit is set.
std::string fourcc_name(std::span<const uint8_t> data) {
  if (data.size() < 5) return "unknown";
  std::string fourcc(data.begin() + 1, data.begin() + 5);
  if (fourcc == "hvc1") return "hevc";
  if (fourcc == "av01") return "av1";
  if (fourcc == "vp09") return "vp9";
  if (fourcc == "Opus") return "opus";
  if (fourcc == "fLaC") return "flac";
  if (fourcc == "ac-3") return "ac3";
  if (fourcc == "ec-3") return "eac3";
  return fourcc;
}

}  // namespace

std::string video_codec_name(std::span<const uint8_t> data) {
  if (data.empty()) return "unknown";
  if (data[0] & 0x80) return fourcc_name(data);
  switch (data[0] & 0x0F) {
    case 2:
      return "h263";
    case 3:
    case 6:
      return "screen video";
    case 4:
    case 5:
      return "vp6";
    case 7:
      return "h264";
    case 12:
      return "hevc";  // a widespread extension before enhanced RTMP
    case 13:
      return "av1";
    default:
      return "video codec id " + std::to_string(data[0] & 0x0F);
  }
}

std::string audio_codec_name(std::span<const uint8_t> data) {
  if (data.empty()) return "unknown";
  switch (data[0] >> 4) {
    case 0:
    case 3:
      return "pcm";
    case 1:
      return "adpcm";
    case 2:
    case 14:
      return "mp3";
    case 4:
    case 5:
    case 6:
      return "nellymoser";
    case 7:
      return "g711 a-law";
    case 8:
      return "g711 mu-law";
    case 9:
      return fourcc_name(data);
    case 10:
      return "aac";
    case 11:
      return "speex";
    default:
      return "audio format " + std::to_string(data[0] >> 4);
  }
}

std::optional<AudioTag> parse_audio_tag(std::span<const uint8_t> data) {
  if (data.empty()) return std::nullopt;
  static constexpr int kRates[] = {5512, 11025, 22050, 44100};
  AudioTag tag;
  tag.sound_format = data[0] >> 4;
  tag.sample_rate = kRates[(data[0] >> 2) & 0x03];
  tag.channels = (data[0] & 0x01) ? 2 : 1;
  if (tag.sound_format != kSoundFormatAac) {
    tag.payload = data.subspan(1);
    return tag;
  }
  if (data.size() < 2) return std::nullopt;
  tag.is_sequence_header = data[1] == 0;
  tag.payload = data.subspan(2);
  return tag;
}

std::optional<Metadata> parse_metadata(std::span<const uint8_t> data) {
  AmfReader reader(data);
  Metadata metadata;
  // Skip a leading "@setDataFrame" (as published) and read the "onMetaData" value after.
  for (int guard = 0; guard < 2; ++guard) {
    if (!reader.has(1) || reader.u8() != 0x02) return std::nullopt;
    auto name = reader.short_string();
    if (!name) return std::nullopt;
    if (*name == "onMetaData") {
      if (!reader.value("", metadata, 0)) return std::nullopt;
      metadata.erase("");
      return metadata;
    }
  }
  return std::nullopt;
}

}  // namespace streamrelay::media::flv
