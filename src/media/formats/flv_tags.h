#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>

namespace streamrelay::media::flv {

// FLV tag parsing (the byte stream libavformat's rtmp protocol hands out), written here because
// libavformat's own FLV demuxer keeps a 2 MiB resync buffer per input, more than a whole relay
// may cost.

inline constexpr size_t kFileHeaderSize = 9 + 4;  // "FLV", version, flags, offset; first size
inline constexpr size_t kTagHeaderSize = 11;
inline constexpr size_t kPreviousSizeSize = 4;

enum class TagType : uint8_t { audio = 8, video = 9, script = 18 };

struct TagHeader {
  uint8_t type = 0;
  uint32_t data_size = 0;
  uint32_t timestamp_ms = 0;  // 24 bits plus the extension byte as the top 8: unsigned, wraps
};

// FLV and RTMP carry 32-bit millisecond timestamps, which wrap every 49.7 days and may start
// anywhere in that range: each is taken as the 64-bit continuation nearest the one before
// (steps of up to 24.8 days either way), so a stream crossing 2^31 or 2^32 ms goes on evenly.
class TimestampUnwrapper {
 public:
  int64_t unwrap(uint32_t timestamp);
  void reset() { last_.reset(); }

 private:
  std::optional<std::pair<uint32_t, int64_t>> last_;  // raw, unwrapped
};

bool is_file_header(std::span<const uint8_t> bytes);
TagHeader parse_tag_header(std::span<const uint8_t, kTagHeaderSize> bytes);

inline constexpr uint8_t kVideoCodecAvc = 7;
// Not in the FLV specification: HEVC and AV1 as many servers wrote them before enhanced RTMP
// (node-media-server 2.x still hands its players HEVC and AV1 so).
inline constexpr uint8_t kVideoCodecHevcLegacy = 12;
inline constexpr uint8_t kVideoCodecAv1Legacy = 13;

// The video codecs a tag can carry that we relay; `other` for the rest (H.263, VP6...).
enum class VideoCodec : uint8_t { other, avc, hevc, av1, vp9 };

// Enhanced RTMP (v1) video packet types, in the low four bits when the top bit is set.
enum class VideoPacketType : uint8_t {
  sequence_start = 0,
  coded_frames = 1,  // HEVC (and AVC): a composition time follows the FourCC
  sequence_end = 2,
  coded_frames_x = 3,  // composition time zero, left out
  metadata = 4,
  mpeg2ts_sequence_start = 5,
};

// The FourCC of a codec in enhanced RTMP ("hvc1", "av01", "vp09", "avc1"), as 4 bytes.
std::array<uint8_t, 4> video_fourcc(VideoCodec codec);
// The FourCC's value as a number, how onMetaData's videocodecid names an enhanced codec.
uint32_t fourcc_number(VideoCodec codec);

struct VideoTag {
  bool is_keyframe = false;
  uint8_t codec_id = 0;  // the legacy codec id; 0 in an enhanced RTMP tag
  VideoCodec codec = VideoCodec::other;
  bool is_enhanced = false;         // a FourCC tag
  bool is_sequence_header = false;  // the configuration record (avcC, hvcC, av1C, vpcC)
  bool is_end_of_sequence = false;
  bool is_media = false;            // coded frames (not a header, end, metadata or command)
  int32_t composition_time_ms = 0;  // pts - dts
  std::span<const uint8_t> payload;
};

// A video tag's header read: legacy, the pre-enhanced HEVC and AV1 ids, and enhanced RTMP v1.
std::optional<VideoTag> parse_video_tag(std::span<const uint8_t> data);

// The codec of a video or audio tag by name ("hevc", "av1", "h263", "opus", "pcm"...), legacy
// ids and enhanced RTMP's FourCC headers alike: for saying which track cannot be relayed.
std::string video_codec_name(std::span<const uint8_t> data);
std::string audio_codec_name(std::span<const uint8_t> data);

inline constexpr uint8_t kSoundFormatMp3 = 2;
inline constexpr uint8_t kSoundFormatAac = 10;

struct AudioTag {
  uint8_t sound_format = 0;
  int sample_rate = 0;  // from the tag's rate bits (AAC: see its AudioSpecificConfig)
  int channels = 0;
  bool is_sequence_header = false;  // AAC: the AudioSpecificConfig
  std::span<const uint8_t> payload;
};

std::optional<AudioTag> parse_audio_tag(std::span<const uint8_t> data);

// The numbers, booleans and strings of an onMetaData script tag (AMF0), by key.
using Metadata = std::map<std::string, std::string>;
std::optional<Metadata> parse_metadata(std::span<const uint8_t> data);

}  // namespace streamrelay::media::flv
