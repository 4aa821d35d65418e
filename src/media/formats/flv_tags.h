#pragma once

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

struct VideoTag {
  bool is_keyframe = false;
  uint8_t codec_id = 0;
  bool is_sequence_header = false;  // AVC: the avcC configuration record
  bool is_end_of_sequence = false;
  int32_t composition_time_ms = 0;  // pts - dts
  std::span<const uint8_t> payload;
};

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
