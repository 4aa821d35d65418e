#include "media/sources/rtmp/flv_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

#include "media/av_logging.h"
#include "media/formats/codec_config.h"
#include "media/formats/flv_tag_writer.h"
#include "media/runtime/event_loops.h"
#include "net/egress_policy.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

namespace streamrelay::media {
namespace {

// A tag larger than this is not a live stream's: the input is corrupt.
constexpr uint32_t kMaxTagBytes = 16 * 1024 * 1024;

double metadata_number(const flv::Metadata& metadata, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    auto found = metadata.find(key);
    if (found != metadata.end()) return std::atof(found->second.c_str());
  }
  return 0;
}

// Whether any of `keys` announces something: present with a value other than zero (or text).
bool has_nonzero(const flv::Metadata& metadata, std::initializer_list<const char*> keys) {
  return std::any_of(keys.begin(), keys.end(), [&](const char* key) {
    auto found = metadata.find(key);
    if (found == metadata.end() || found->second.empty() || found->second == "false") return false;
    char* end = nullptr;
    double number = std::strtod(found->second.c_str(), &end);
    bool is_number = end && *end == '\0';
    return !is_number || number != 0;  // "avc1" (some encoders name codecs) announces too
  });
}

void set_extradata(AVCodecParameters& params, std::span<const uint8_t> bytes) {
  av_freep(&params.extradata);
  params.extradata_size = 0;
  params.extradata = static_cast<uint8_t*>(av_mallocz(bytes.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  if (!params.extradata) return;
  std::memcpy(params.extradata, bytes.data(), bytes.size());
  params.extradata_size = static_cast<int>(bytes.size());
}

AvCodecParametersPtr new_parameters(AVMediaType type, AVCodecID codec) {
  AvCodecParametersPtr params(avcodec_parameters_alloc());
  params->codec_type = type;
  params->codec_id = codec;
  return params;
}

void attach_new_extradata(AVPacket& packet, const AVCodecParameters& params) {
  uint8_t* side = av_packet_new_side_data(&packet, AV_PKT_DATA_NEW_EXTRADATA,
                                          static_cast<size_t>(params.extradata_size));
  if (side) std::memcpy(side, params.extradata, static_cast<size_t>(params.extradata_size));
}

}  // namespace

FlvSource::FlvSource(IoDeadline& deadline, const RelaySettings& settings)
    : deadline_(deadline), settings_(settings) {}

bool FlvSource::is_http_flv(const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) return false;
  std::string path = url.substr(0, url.find_first_of("?#"));
  if (path.size() < 4) return false;
  std::string suffix = path.substr(path.size() - 4);
  std::transform(suffix.begin(), suffix.end(), suffix.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return suffix == ".flv";
}

bool FlvSource::handles(const std::string& url) {
  return url.rfind("rtmp://", 0) == 0 || url.rfind("rtmps://", 0) == 0 || is_http_flv(url);
}

SourceError FlvSource::error_from(int code, const char* operation) const {
  if (player_ && !player_->failure_reason().empty()) {
    return {SourceErrorKind::unavailable,
            std::string(operation) + ": " + player_->failure_reason()};
  }
  return source_error_from(deadline_, code, operation);
}

void FlvSource::close() {
  player_.reset();
  if (io_) avio_closep(&io_);
  pending_.clear();
  metadata_.clear();
  timestamps_.reset();
  video_.reset();
  audio_.reset();
  skipped_ = {};
  codec_change_.clear();
  has_new_video_config_ = has_new_audio_config_ = false;
}

std::optional<SourceError> FlvSource::open(const std::string& url) {
  close();
  forget_ffmpeg_errors();
  AVIOInterruptCB interrupt = deadline_.callback();
  deadline_.arm(settings_.open_timeout);
  int rc = AVERROR(EINVAL);
  if (RtmpClient::handles(url)) {
    player_ = std::make_unique<RtmpClient>(deadline_);
    rc = player_->open(url);
    if (rc == 0) player_->set_wait_hook(wait_hook_);
    if (player_->should_fall_back(rc)) {
      // libavformat's client tries: a URL form ours leaves to it, or a digest-handshake server.
      spdlog::debug("event=rtmp_fallback direction=play error=\"{}\"", describe_av_error(rc));
      player_.reset();
    }
  }
  if (!player_) {
    // FFmpeg's clients block: on a fiber, they open (and probe) on a worker thread.
    return runtime::blocking_call([&] {
      return finish_open(
          is_http_flv(url)
              ? open_with_ffmpeg_http(&io_, url, &interrupt, settings_.tls)
              : open_with_ffmpeg_rtmp(&io_, url, AVIO_FLAG_READ, &interrupt, settings_.tls));
    });
  }
  return finish_open(rc);
}

std::optional<SourceError> FlvSource::finish_open(int rc) {
  if (rc < 0) return error_from(rc, "open");
  if (!player_) {
    // libavformat's clients (RTMP, HTTP) hand out an FLV byte stream, file header first.
    uint8_t header[flv::kFileHeaderSize];
    rc = avio_read(io_, header, sizeof header);
    if (rc < static_cast<int>(sizeof header)) {
      return error_from(rc < 0 ? rc : AVERROR_EOF, "open");
    }
    if (!flv::is_file_header(header)) {
      return SourceError{SourceErrorKind::unsupported, "unsupported source: not an FLV stream"};
    }
  }
  auto started = std::chrono::steady_clock::now();
  auto limit = std::max(settings_.probe_duration, settings_.open_timeout);
  is_probing_ = true;
  for (;;) {
    auto elapsed = std::chrono::steady_clock::now() - started;
    if (has_announced_tracks(elapsed) || elapsed > limit) break;
    MediaPacket packet;
    bool has_packet = false;
    if (auto error = read_tag(packet, has_packet)) {
      is_probing_ = false;
      return error;
    }
    if (has_packet) pending_.push_back(std::move(packet));
  }
  is_probing_ = false;
  has_new_video_config_ = has_new_audio_config_ = false;  // the segment carries them
  build_segment();
  if (!segment_.video && !segment_.audio) {
    std::string found = skipped_.is_empty() ? "no audio or video track" : skipped_.describe();
    return SourceError{SourceErrorKind::unsupported, "unsupported source: " + found};
  }
  return std::nullopt;
}

bool FlvSource::has_announced_tracks(std::chrono::nanoseconds elapsed) const {
  // A key of zero announces nothing (nginx-rtmp rewrites a video-only stream's metadata with
  // audiocodecid 0); a track whose codec cannot be relayed is not waited for.
  bool expects_video =
      skipped_.video.empty() &&
      (video_ || has_nonzero(metadata_, {"videocodecid", "width", "height", "displayWidth",
                                         "displayHeight", "framerate", "fps", "videodatarate"}));
  bool expects_audio = skipped_.audio.empty() &&
                       (audio_ || has_nonzero(metadata_, {"audiocodecid", "audiosamplerate",
                                                          "audiodatarate", "audiochannels"}));
  bool has_video = video_ && video_->extradata_size > 0;
  bool has_audio = audio_ && (audio_->codec_id != AV_CODEC_ID_AAC || audio_->extradata_size > 0);
  bool has_video_packet = std::any_of(pending_.begin(), pending_.end(), [](const MediaPacket& p) {
    return p.track == TrackKind::video;
  });
  if ((expects_video && !(has_video && has_video_packet)) || (expects_audio && !has_audio)) {
    return false;
  }
  if (!has_video && !has_audio) return false;
  // A track nothing announced gets the probe duration to show up.
  return (has_video && has_audio) || elapsed >= settings_.probe_duration;
}

void FlvSource::build_segment() {
  segment_ = SegmentInfo{};
  if (video_) {
    AvCodecParametersPtr params = copy_parameters(*video_);
    params->width = static_cast<int>(metadata_number(metadata_, {"width", "displayWidth"}));
    params->height = static_cast<int>(metadata_number(metadata_, {"height", "displayHeight"}));
    for (const MediaPacket& packet : pending_) {
      if (packet.track == TrackKind::video && packet.is_keyframe) {
        read_picture_size(*params, packet.packet.get());  // the SPS wins over metadata
        break;
      }
    }
    double fps = metadata_number(metadata_, {"framerate", "fps"});
    AVRational rate = fps > 0 ? av_d2q(fps, 1000) : AVRational{0, 1};
    segment_.video = TrackConfig{TrackKind::video, share_parameters(*params), rate};
    segment_.frame_duration_ms =
        fps > 0 ? std::clamp<int64_t>(static_cast<int64_t>(1000 / fps), 1, 1000) : 40;
  }
  if (audio_) {
    segment_.audio = TrackConfig{TrackKind::audio, share_parameters(*audio_), {0, 1}};
    if (!video_) segment_.frame_duration_ms = 23;  // one AAC frame at 44.1 kHz
  }
}

std::optional<SourceError> FlvSource::read(MediaPacket& out) {
  if (!pending_.empty()) {
    out = std::move(pending_.front());  // read while probing
    pending_.pop_front();
    return std::nullopt;
  }
  if (!io_ && !player_) return SourceError{SourceErrorKind::unavailable, "source is not open"};
  for (;;) {
    bool has_packet = false;
    if (auto error = read_tag(out, has_packet)) return error;
    if (has_packet) return std::nullopt;
  }
}

std::optional<SourceError> FlvSource::read_tag(MediaPacket& out, bool& has_packet) {
  deadline_.arm(settings_.stall_threshold);
  uint8_t type = 0;
  uint32_t timestamp = 0;
  std::span<const uint8_t> body;
  if (player_) {
    // Our client hands out tags as the messages carry them: no FLV bytes in between.
    RtmpClient::Tag tag;
    if (int rc = player_->read_tag(tag); rc < 0) return error_from(rc, "read");
    type = tag.type;
    timestamp = tag.timestamp;
    body = tag.body;
  } else {
    uint8_t bytes[flv::kTagHeaderSize];
    int rc = avio_read(io_, bytes, sizeof bytes);
    if (rc < static_cast<int>(sizeof bytes)) return error_from(rc < 0 ? rc : AVERROR_EOF, "read");
    flv::TagHeader header =
        flv::parse_tag_header(std::span<const uint8_t, flv::kTagHeaderSize>(bytes));
    if (header.data_size > kMaxTagBytes) {
      return SourceError{SourceErrorKind::unavailable, "read: corrupt FLV tag"};
    }
    data_.resize(header.data_size + flv::kPreviousSizeSize);
    rc = avio_read(io_, data_.data(), static_cast<int>(data_.size()));
    if (rc < static_cast<int>(data_.size())) return error_from(rc < 0 ? rc : AVERROR_EOF, "read");
    type = header.type;
    timestamp = header.timestamp_ms;
    body = std::span<const uint8_t>(data_).first(header.data_size);
  }
  if (type == static_cast<uint8_t>(flv::TagType::video)) {
    on_video(timestamps_.unwrap(timestamp), body, out, has_packet);
    if (!codec_change_.empty()) {
      return SourceError{SourceErrorKind::unavailable, "read: " + std::exchange(codec_change_, {})};
    }
  } else if (type == static_cast<uint8_t>(flv::TagType::audio)) {
    on_audio(timestamps_.unwrap(timestamp), body, out, has_packet);
  } else if (type == static_cast<uint8_t>(flv::TagType::script)) {
    if (auto metadata = flv::parse_metadata(body)) {
      for (auto& [key, value] : *metadata) metadata_[key] = value;
    }
  }
  return std::nullopt;
}

void FlvSource::on_video(int64_t timestamp_ms, std::span<const uint8_t> body, MediaPacket& out,
                         bool& has_packet) {
  auto tag = flv::parse_video_tag(body);
  if (!tag) return;
  AVCodecID codec = flv::codec_id_of(tag->codec);
  if (codec == AV_CODEC_ID_NONE) {
    if (skipped_.video.empty()) skipped_.video = flv::video_codec_name(body);
    return;
  }
  if (tag->is_sequence_header) {
    if (video_ && video_->codec_id != codec && !is_probing_) {
      // An encoder restarted with another codec on the same session: the source is opened
      // again, so the relay starts a segment with the new codec.
      codec_change_ = std::string("the source changed its video codec from ") +
                      avcodec_get_name(video_->codec_id) + " to " + avcodec_get_name(codec);
      return;
    }
    if (!video_ || video_->codec_id != codec) video_ = new_parameters(AVMEDIA_TYPE_VIDEO, codec);
    bool is_change = video_->extradata_size != static_cast<int>(tag->payload.size()) ||
                     std::memcmp(video_->extradata, tag->payload.data(), tag->payload.size()) != 0;
    set_extradata(*video_, tag->payload);
    has_new_video_config_ |= is_change && !is_probing_;
    return;
  }
  if (!tag->is_media || !video_ || video_->codec_id != codec || tag->payload.empty()) return;
  out.packet = make_packet();
  if (!PayloadPools::of_this_thread().allocate(*out.packet, tag->payload.size())) return;
  std::memcpy(out.packet->data, tag->payload.data(), tag->payload.size());
  out.packet->dts = timestamp_ms;
  out.packet->pts = timestamp_ms + tag->composition_time_ms;
  out.track = TrackKind::video;
  out.is_keyframe = tag->is_keyframe;
  if (tag->is_keyframe) out.packet->flags |= AV_PKT_FLAG_KEY;
  if (has_new_video_config_) {
    attach_new_extradata(*out.packet, *video_);
    has_new_video_config_ = false;
  }
  has_packet = true;
}

void FlvSource::on_audio(int64_t timestamp_ms, std::span<const uint8_t> body, MediaPacket& out,
                         bool& has_packet) {
  auto tag = flv::parse_audio_tag(body);
  if (!tag) return;
  bool is_aac = tag->sound_format == flv::kSoundFormatAac;
  bool is_mp3 = tag->sound_format == flv::kSoundFormatMp3;
  if (!is_aac && !is_mp3) {
    if (skipped_.audio.empty()) skipped_.audio = flv::audio_codec_name(body);
    return;
  }
  if (!audio_) {
    audio_ = new_parameters(AVMEDIA_TYPE_AUDIO, is_aac ? AV_CODEC_ID_AAC : AV_CODEC_ID_MP3);
    audio_->sample_rate = tag->sample_rate;
    av_channel_layout_default(&audio_->ch_layout, tag->channels);
  }
  if (tag->is_sequence_header) {
    bool is_change = audio_->extradata_size != static_cast<int>(tag->payload.size()) ||
                     std::memcmp(audio_->extradata, tag->payload.data(), tag->payload.size()) != 0;
    set_extradata(*audio_, tag->payload);
    read_audio_specific_config(*audio_);
    has_new_audio_config_ |= is_change && !is_probing_;
    return;
  }
  if (tag->payload.empty() || (is_aac && audio_->extradata_size == 0)) return;
  out.packet = make_packet();
  if (!PayloadPools::of_this_thread().allocate(*out.packet, tag->payload.size())) return;
  std::memcpy(out.packet->data, tag->payload.data(), tag->payload.size());
  out.packet->dts = out.packet->pts = timestamp_ms;
  out.packet->flags |= AV_PKT_FLAG_KEY;
  out.track = TrackKind::audio;
  out.is_keyframe = true;
  if (has_new_audio_config_) {
    attach_new_extradata(*out.packet, *audio_);
    has_new_audio_config_ = false;
  }
  has_packet = true;
}

}  // namespace streamrelay::media
