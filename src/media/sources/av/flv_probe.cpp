#include "media/sources/av/flv_probe.h"

#include "media/formats/codec_config.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace streamrelay::media {
namespace {

bool is_configured(const AVCodecParameters& params) {
  bool needs_extradata = params.codec_id == AV_CODEC_ID_H264 || params.codec_id == AV_CODEC_ID_AAC;
  return params.codec_id != AV_CODEC_ID_NONE && (!needs_extradata || params.extradata_size > 0);
}

bool has_any_key(const AVFormatContext& input, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (av_dict_get(input.metadata, key, nullptr, 0)) return true;
  }
  return false;
}

// Done when every track onMetaData announces (or that has shown itself) is configured; a track
// nothing announced gets `quiet_wait` to show up (nginx-rtmp, for one, names no audio).
bool has_announced_tracks(const AVFormatContext& input, std::chrono::nanoseconds elapsed,
                          std::chrono::milliseconds quiet_wait) {
  bool expects_video = has_any_key(input, {"videocodecid", "width", "height", "displayWidth",
                                           "displayHeight", "framerate", "fps", "videodatarate"});
  bool expects_audio = has_any_key(
      input, {"audiocodecid", "audiosamplerate", "audiodatarate", "audiochannels", "stereo"});
  bool has_video = false;
  bool has_audio = false;
  for (unsigned i = 0; i < input.nb_streams; ++i) {
    const AVCodecParameters& params = *input.streams[i]->codecpar;
    expects_video |= params.codec_type == AVMEDIA_TYPE_VIDEO;
    expects_audio |= params.codec_type == AVMEDIA_TYPE_AUDIO;
    if (!is_configured(params)) continue;
    has_video |= params.codec_type == AVMEDIA_TYPE_VIDEO;
    has_audio |= params.codec_type == AVMEDIA_TYPE_AUDIO;
  }
  if ((expects_video && !has_video) || (expects_audio && !has_audio)) return false;
  if (!has_video && !has_audio) return false;
  return (has_video && has_audio) || elapsed >= quiet_wait;
}

double metadata_number(const AVFormatContext& input, const char* key) {
  const AVDictionaryEntry* entry = av_dict_get(input.metadata, key, nullptr, 0);
  return entry ? std::atof(entry->value) : 0;
}

// A video track's picture size is known from the demuxer or onMetaData, or can be read from the
// SPS once a keyframe has been read: the destination cannot announce the track before.
bool has_picture_size(const AVFormatContext& input, const std::deque<AvPacketPtr>& pending) {
  for (unsigned i = 0; i < input.nb_streams; ++i) {
    const AVCodecParameters& params = *input.streams[i]->codecpar;
    if (params.codec_type != AVMEDIA_TYPE_VIDEO) continue;
    if (params.width > 0 && params.height > 0) continue;
    if (metadata_number(input, "width") > 0 && metadata_number(input, "height") > 0) continue;
    bool has_keyframe = std::any_of(pending.begin(), pending.end(), [&](const AvPacketPtr& p) {
      return p->stream_index == static_cast<int>(i) && (p->flags & AV_PKT_FLAG_KEY);
    });
    if (!has_keyframe) return false;
  }
  return true;
}

}  // namespace

bool is_flv_input(const AVFormatContext& input) {
  return input.iformat && (std::strcmp(input.iformat->name, "flv") == 0 ||
                           std::strcmp(input.iformat->name, "live_flv") == 0);
}

std::optional<std::string> probe_flv_tracks(AVFormatContext& input, IoDeadline& deadline,
                                            std::chrono::milliseconds read_budget,
                                            std::chrono::milliseconds quiet_wait,
                                            std::chrono::milliseconds limit,
                                            std::deque<AvPacketPtr>& pending) {
  auto started = std::chrono::steady_clock::now();
  for (;;) {
    auto elapsed = std::chrono::steady_clock::now() - started;
    bool is_complete =
        has_announced_tracks(input, elapsed, quiet_wait) && has_picture_size(input, pending);
    if (is_complete || elapsed > limit) break;
    AvPacketPtr packet = make_packet();
    deadline.arm(read_budget);
    int rc = av_read_frame(&input, packet.get());
    if (rc < 0) return av_error_text(rc);
    pending.push_back(std::move(packet));
  }
  return std::nullopt;
}

void complete_flv_parameters(AVFormatContext& input, const std::deque<AvPacketPtr>& pending) {
  for (unsigned i = 0; i < input.nb_streams; ++i) {
    AVStream& stream = *input.streams[i];
    AVCodecParameters& params = *stream.codecpar;
    if (params.codec_type == AVMEDIA_TYPE_AUDIO) read_audio_specific_config(params);
    if (params.codec_type != AVMEDIA_TYPE_VIDEO) continue;
    if (params.width <= 0 || params.height <= 0) {
      params.width = static_cast<int>(metadata_number(input, "width"));
      params.height = static_cast<int>(metadata_number(input, "height"));
    }
    if (params.width <= 0 || params.height <= 0) {
      const AVPacket* keyframe = nullptr;
      for (const AvPacketPtr& packet : pending) {
        if (packet->stream_index == static_cast<int>(i) && (packet->flags & AV_PKT_FLAG_KEY)) {
          keyframe = packet.get();
          break;
        }
      }
      read_picture_size(params, keyframe);
    }
    double fps = metadata_number(input, "framerate");
    if (stream.avg_frame_rate.num <= 0 && fps > 0) {
      stream.avg_frame_rate = av_d2q(fps, 1000);
    }
  }
}

}  // namespace streamrelay::media
