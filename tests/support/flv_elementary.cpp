#include "support/flv_elementary.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <sstream>

#include "media/formats/flv_tags.h"
#include "support/process.h"

namespace streamrelay::test_support {
namespace {

namespace flv = media::flv;
using Bytes = std::vector<uint8_t>;

uint32_t be(const uint8_t* p, int bytes) {
  uint32_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | p[i];
  return value;
}

void put_le(std::ostream& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.put(static_cast<char>((value >> (8 * i)) & 0xFF));
}

const char* codec_name(flv::VideoCodec codec) {
  switch (codec) {
    case flv::VideoCodec::avc:
      return "h264";
    case flv::VideoCodec::hevc:
      return "hevc";
    case flv::VideoCodec::av1:
      return "av1";
    case flv::VideoCodec::vp9:
      return "vp9";
    case flv::VideoCodec::other:
      break;
  }
  return "other";
}

// One codec's video written out: Annex B for H.264 and HEVC, IVF for AV1 and VP9.
class VideoWriter {
 public:
  VideoWriter(const std::string& path, flv::VideoCodec codec)
      : out_(path, std::ios::binary), codec_(codec) {
    if (is_ivf()) {
      out_.write("DKIF", 4);
      put_le(out_, 0, 2);   // version
      put_le(out_, 32, 2);  // header size
      out_.write(codec == flv::VideoCodec::av1 ? "AV01" : "VP90", 4);
      put_le(out_, 0, 2);  // width and height: the decoder reads them from the stream
      put_le(out_, 0, 2);
      put_le(out_, 1000, 4);  // time base 1/1000
      put_le(out_, 1, 4);
      put_le(out_, 0, 4);  // frame count, set at the end
      put_le(out_, 0, 4);
    }
  }
  ~VideoWriter() {
    if (!is_ivf()) return;
    out_.seekp(24);
    put_le(out_, static_cast<uint64_t>(frames_), 4);
  }

  // A sequence header's record: the parameter sets (or AV1's sequence header OBU) that go
  // before the next frame.
  void configure(std::span<const uint8_t> record) {
    prefix_.clear();
    if (codec_ == flv::VideoCodec::hevc && record.size() >= 23) {
      length_size_ = (record[21] & 0x03) + 1;
      size_t at = 23;
      for (int array = 0; array < record[22] && at + 3 <= record.size(); ++array) {
        uint32_t count = be(&record[at + 1], 2);
        at += 3;
        if (!take_units(record, at, count)) return;
      }
    } else if (codec_ == flv::VideoCodec::avc && record.size() >= 7) {
      length_size_ = (record[4] & 0x03) + 1;
      size_t at = 5;
      for (int set = 0; set < 2 && at < record.size(); ++set) {
        uint32_t count = set == 0 ? record[at] & 0x1F : record[at];  // SPS, then PPS
        ++at;
        if (!take_units(record, at, count)) return;
      }
    } else if (codec_ == flv::VideoCodec::av1 && record.size() > 4) {
      prefix_.assign(record.begin() + 4, record.end());  // configOBUs: the sequence header
    }
  }

  void write(std::span<const uint8_t> data, int64_t dts_ms) {
    Bytes frame = prefix_;
    prefix_.clear();
    if (is_ivf()) {
      frame.insert(frame.end(), data.begin(), data.end());
      put_le(out_, frame.size(), 4);
      put_le(out_, static_cast<uint64_t>(dts_ms), 8);
    } else {
      for (size_t at = 0; at + length_size_ <= data.size();) {
        uint32_t size = be(&data[at], length_size_);
        at += length_size_;
        if (at + size > data.size()) break;
        annex_b(data.subspan(at, size), frame);
        at += size;
      }
    }
    out_.write(reinterpret_cast<const char*>(frame.data()), static_cast<long>(frame.size()));
    ++frames_;
  }

 private:
  bool is_ivf() const { return codec_ == flv::VideoCodec::av1 || codec_ == flv::VideoCodec::vp9; }
  // `count` parameter sets of a record, each a 16-bit length and the unit, into the prefix.
  bool take_units(std::span<const uint8_t> record, size_t& at, uint32_t count) {
    for (uint32_t i = 0; i < count && at + 2 <= record.size(); ++i) {
      uint32_t size = be(&record[at], 2);
      at += 2;
      if (at + size > record.size()) return false;
      annex_b(record.subspan(at, size), prefix_);
      at += size;
    }
    return true;
  }
  static void annex_b(std::span<const uint8_t> unit, Bytes& out) {
    out.insert(out.end(), {0, 0, 0, 1});
    out.insert(out.end(), unit.begin(), unit.end());
  }

  std::ofstream out_;
  flv::VideoCodec codec_;
  int length_size_ = 4;
  Bytes prefix_;
  int frames_ = 0;
};

// ADTS headers for raw AAC frames, from the AudioSpecificConfig.
class AdtsWriter {
 public:
  explicit AdtsWriter(const std::string& path) : out_(path, std::ios::binary) {}
  void configure(std::span<const uint8_t> config) {
    if (config.size() < 2) return;
    profile_ = ((config[0] >> 3) & 0x1F) - 1;
    rate_index_ = ((config[0] & 0x07) << 1) | (config[1] >> 7);
    channels_ = (config[1] >> 3) & 0x0F;
    is_configured_ = true;
  }
  bool is_configured() const { return is_configured_; }
  void write(std::span<const uint8_t> frame) {
    size_t size = frame.size() + 7;
    uint8_t header[7] = {
        0xFF,
        0xF1,
        static_cast<uint8_t>((profile_ << 6) | (rate_index_ << 2) | (channels_ >> 2)),
        static_cast<uint8_t>(((channels_ & 3) << 6) | (size >> 11)),
        static_cast<uint8_t>((size >> 3) & 0xFF),
        static_cast<uint8_t>(((size & 7) << 5) | 0x1F),
        0xFC};
    out_.write(reinterpret_cast<const char*>(header), 7);
    out_.write(reinterpret_cast<const char*>(frame.data()), static_cast<long>(frame.size()));
  }

 private:
  std::ofstream out_;
  int profile_ = 1;
  int rate_index_ = 4;
  int channels_ = 1;
  bool is_configured_ = false;
};

struct TrackTimes {
  std::optional<int64_t> first;
  std::optional<int64_t> last;
  int backwards = 0;
  double largest_gap = 0;
  void add(int64_t dts) {
    if (!first) first = dts;
    if (last) {
      if (dts < *last) ++backwards;
      largest_gap = std::max(largest_gap, static_cast<double>(dts - *last));
    }
    last = dts;
  }
};

}  // namespace

std::string video_track_file(const std::string& video_prefix, const std::string& codec) {
  if (codec == "av1" || codec == "vp9") return video_prefix + "." + codec + ".ivf";
  return video_prefix + "." + codec;
}

FlvTracks split_flv(const std::string& flv_path, const std::string& video_prefix,
                    const std::string& audio_path) {
  FlvTracks tracks;
  std::ifstream in(flv_path, std::ios::binary);
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < flv::kFileHeaderSize || !flv::is_file_header(data)) {
    tracks.error = "not an FLV file (" + std::to_string(data.size()) + " bytes)";
    return tracks;
  }
  std::map<flv::VideoCodec, std::unique_ptr<VideoWriter>> writers;
  VideoWriter* video = nullptr;
  AdtsWriter audio(audio_path);
  TrackTimes video_times;
  TrackTimes audio_times;
  size_t at = flv::kFileHeaderSize;
  while (at + flv::kTagHeaderSize <= data.size()) {
    auto header = flv::parse_tag_header(
        std::span<const uint8_t, flv::kTagHeaderSize>(&data[at], flv::kTagHeaderSize));
    size_t body_at = at + flv::kTagHeaderSize;
    if (body_at + header.data_size > data.size()) break;  // the recording ended inside it
    std::span<const uint8_t> body(&data[body_at], header.data_size);
    at = body_at + header.data_size + flv::kPreviousSizeSize;
    auto dts = static_cast<int64_t>(header.timestamp_ms);
    if (header.type == static_cast<uint8_t>(flv::TagType::video)) {
      auto tag = flv::parse_video_tag(body);
      if (!tag || tag->codec == flv::VideoCodec::other) continue;
      if (tag->is_sequence_header) {
        auto& writer = writers[tag->codec];
        if (!writer) {
          writer = std::make_unique<VideoWriter>(
              video_track_file(video_prefix, codec_name(tag->codec)), tag->codec);
        }
        writer->configure(tag->payload);
        video = writer.get();
        tracks.video_codecs.push_back(codec_name(tag->codec));
        continue;
      }
      if (!tag->is_media || !video || tag->payload.empty()) continue;
      video->write(tag->payload, dts);
      ++tracks.video_frames;
      tracks.reordered_frames += tag->composition_time_ms != 0;
      video_times.add(dts);
    } else if (header.type == static_cast<uint8_t>(flv::TagType::audio)) {
      auto tag = flv::parse_audio_tag(body);
      if (!tag || tag->sound_format != flv::kSoundFormatAac) continue;
      if (tag->is_sequence_header) {
        audio.configure(tag->payload);
        continue;
      }
      if (!audio.is_configured() || tag->payload.empty()) continue;
      audio.write(tag->payload);
      ++tracks.audio_frames;
      audio_times.add(dts);
    }
  }
  tracks.video_dts_backwards = video_times.backwards;
  tracks.audio_dts_backwards = audio_times.backwards;
  tracks.largest_video_gap_ms = video_times.largest_gap;
  tracks.largest_audio_gap_ms = audio_times.largest_gap;
  if (video_times.first) {
    tracks.video_span_ms = static_cast<double>(*video_times.last - *video_times.first);
  }
  return tracks;
}

Decoded decode_every_frame(const std::string& path, const std::string& decoder,
                           const std::string& log_prefix) {
  bool is_audio = decoder == "aac";
  std::string frames_path = log_prefix + ".framecrc";
  Process ffmpeg(
      {"ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", is_audio ? "-c:a" : "-c:v",
       decoder, "-i", path, "-map", is_audio ? "0:a:0" : "0:v:0", "-f", "framecrc", frames_path},
      log_prefix + ".log");
  Decoded decoded;
  if (ffmpeg.wait(std::chrono::seconds(120)) != 0) {
    decoded.errors = "ffmpeg failed: ";
  }
  decoded.errors += read_file(log_prefix + ".log");
  std::istringstream lines(read_file(frames_path));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != '#') ++decoded.frames;
  }
  return decoded;
}

void record_http(const std::string& url, int seconds, const std::string& path) {
  Process curl({"curl", "-s", "--max-time", std::to_string(seconds), "-o", path, url},
               path + ".log");
  curl.wait(std::chrono::seconds(seconds + 10));
}

}  // namespace streamrelay::test_support
