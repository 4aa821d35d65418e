#include "media/timeline/slate.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include <spdlog/spdlog.h>

#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
// x265 3.5 keeps a few kilobytes of each encoder it opens after the encoder is closed (its own
// allocations, which no call frees): a slate is encoded once per configuration, so this is
// bounded; the leak checker of sanitizer builds is told so instead of failing them.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libx265.so\n";
}
#endif

namespace streamrelay::media {
namespace {

struct CodecContextDeleter {
  void operator()(AVCodecContext* context) const { avcodec_free_context(&context); }
};
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;

struct FrameDeleter {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;

const char* x264_profile_of(int profile) {
  switch (profile) {
    case FF_PROFILE_H264_BASELINE:
    case FF_PROFILE_H264_CONSTRAINED_BASELINE:
      return "baseline";
    case FF_PROFILE_H264_MAIN:
      return "main";
    default:
      return "high";
  }
}

// Sends `frames` through an opened encoder (nullptr entries flush it) and keeps every packet.
std::vector<AvPacketPtr> encode(AVCodecContext& encoder, const std::vector<AVFrame*>& frames) {
  std::vector<AvPacketPtr> packets;
  for (AVFrame* frame : frames) {
    if (avcodec_send_frame(&encoder, frame) < 0) return {};
    for (;;) {
      AvPacketPtr packet = make_packet();
      int rc = avcodec_receive_packet(&encoder, packet.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) break;
      if (rc < 0) return {};
      packets.push_back(std::move(packet));
    }
  }
  return packets;
}

std::shared_ptr<const AVCodecParameters> parameters_of(const AVCodecContext& encoder) {
  AvCodecParametersPtr params(avcodec_parameters_alloc());
  avcodec_parameters_from_context(params.get(), &encoder);
  return share_parameters(*params);
}

// The encoder that makes black pictures in the session's codec, set for one keyframe and
// inter frames after it (no B-frames); nullptr for a codec without one here.
CodecContextPtr open_black_encoder(const AVCodecParameters& params, int fps) {
  const char* name = nullptr;
  switch (params.codec_id) {
    case AV_CODEC_ID_H264:
      name = "libx264";
      break;
    case AV_CODEC_ID_HEVC:
      name = "libx265";
      break;
    case AV_CODEC_ID_AV1:
      name = "libaom-av1";  // (SVT-AV1 would do, but hangs when closed before a frame)
      break;
    case AV_CODEC_ID_VP9:
      name = "libvpx-vp9";
      break;
    default:
      return nullptr;
  }
  const AVCodec* codec = avcodec_find_encoder_by_name(name);
  if (!codec) return nullptr;
  CodecContextPtr encoder(avcodec_alloc_context3(codec));
  encoder->width = params.width;
  encoder->height = params.height;
  encoder->pix_fmt = AV_PIX_FMT_YUV420P;
  encoder->time_base = {1, fps};
  encoder->framerate = {fps, 1};
  encoder->gop_size = 1000;
  encoder->max_b_frames = 0;
  encoder->thread_count = 1;
  encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  switch (params.codec_id) {
    case AV_CODEC_ID_H264:
      av_opt_set(encoder->priv_data, "preset", "ultrafast", 0);
      av_opt_set(encoder->priv_data, "profile", x264_profile_of(params.profile), 0);
      av_opt_set(encoder->priv_data, "x264-params", "keyint=1000:scenecut=0:threads=1", 0);
      break;
    case AV_CODEC_ID_HEVC:
      av_opt_set(encoder->priv_data, "preset", "ultrafast", 0);
      av_opt_set(encoder->priv_data, "x265-params",
                 "keyint=1000:scenecut=0:bframes=0:pools=none:frame-threads=1:log-level=error", 0);
      break;
    case AV_CODEC_ID_AV1:
      av_opt_set(encoder->priv_data, "usage", "realtime", 0);
      av_opt_set(encoder->priv_data, "cpu-used", "10", 0);
      break;
    default:  // VP9
      av_opt_set(encoder->priv_data, "deadline", "realtime", 0);
      av_opt_set(encoder->priv_data, "cpu-used", "8", 0);
      break;
  }
  if (avcodec_open2(encoder.get(), codec, nullptr) < 0) return nullptr;
  return encoder;
}

// One second of black pictures in the session's codec: a keyframe and the inter frames after it.
std::optional<TrackConfig> make_video(const TrackConfig& like, int64_t frame_ms,
                                      std::vector<AvPacketPtr>& loop) {
  const AVCodecParameters& params = *like.params;
  if (params.width <= 0 || params.height <= 0) return std::nullopt;
  int fps = static_cast<int>(std::max<int64_t>(1, 1000 / frame_ms));
  CodecContextPtr encoder = open_black_encoder(params, fps);
  if (!encoder) return std::nullopt;
  FramePtr black(av_frame_alloc());
  black->format = AV_PIX_FMT_YUV420P;
  black->width = params.width;
  black->height = params.height;
  if (av_frame_get_buffer(black.get(), 0) < 0) return std::nullopt;
  std::memset(black->data[0], 16, static_cast<size_t>(black->linesize[0] * black->height));
  for (int plane = 1; plane < 3; ++plane) {
    std::memset(black->data[plane], 128,
                static_cast<size_t>(black->linesize[plane] * ((black->height + 1) / 2)));
  }
  std::vector<FramePtr> frames;
  std::vector<AVFrame*> inputs;
  for (int i = 0; i < fps; ++i) {
    frames.emplace_back(av_frame_clone(black.get()));
    frames.back()->pts = i;
    frames.back()->pict_type = i == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    inputs.push_back(frames.back().get());
  }
  inputs.push_back(nullptr);
  loop = encode(*encoder, inputs);
  if (loop.empty() || !(loop.front()->flags & AV_PKT_FLAG_KEY)) return std::nullopt;
  AvCodecParametersPtr out(avcodec_parameters_alloc());
  avcodec_parameters_from_context(out.get(), encoder.get());
  if (out->extradata_size == 0 && out->codec_id == AV_CODEC_ID_AV1) {
    // libaom has no global header: the keyframe's OBUs carry the sequence header the
    // destination's configuration record is made of.
    const AVPacket& key = *loop.front();
    out->extradata = static_cast<uint8_t*>(av_mallocz(key.size + AV_INPUT_BUFFER_PADDING_SIZE));
    if (!out->extradata) return std::nullopt;
    std::memcpy(out->extradata, key.data, static_cast<size_t>(key.size));
    out->extradata_size = key.size;
  }
  return TrackConfig{TrackKind::video, share_parameters(*out), {fps, 1}};
}

// About a second of silence.
std::optional<TrackConfig> make_audio(const TrackConfig& like, std::vector<AvPacketPtr>& loop,
                                      int64_t& frame_samples) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
  const AVCodecParameters& params = *like.params;
  if (!codec || params.codec_id != AV_CODEC_ID_AAC || params.sample_rate <= 0) return std::nullopt;
  CodecContextPtr encoder(avcodec_alloc_context3(codec));
  encoder->sample_rate = params.sample_rate;
  encoder->sample_fmt = AV_SAMPLE_FMT_FLTP;
  if (params.ch_layout.nb_channels > 0) {
    av_channel_layout_copy(&encoder->ch_layout, &params.ch_layout);
  } else {
    av_channel_layout_default(&encoder->ch_layout, 2);
  }
  encoder->bit_rate = 64000;
  encoder->time_base = {1, params.sample_rate};
  encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (avcodec_open2(encoder.get(), codec, nullptr) < 0) return std::nullopt;
  frame_samples = encoder->frame_size > 0 ? encoder->frame_size : 1024;
  std::vector<FramePtr> frames;
  std::vector<AVFrame*> inputs;
  int64_t count = params.sample_rate / frame_samples + 3;  // a little more than a second
  for (int64_t i = 0; i < count; ++i) {
    FramePtr frame(av_frame_alloc());
    frame->format = AV_SAMPLE_FMT_FLTP;
    frame->nb_samples = static_cast<int>(frame_samples);
    av_channel_layout_copy(&frame->ch_layout, &encoder->ch_layout);
    frame->sample_rate = params.sample_rate;
    if (av_frame_get_buffer(frame.get(), 0) < 0) return std::nullopt;
    av_samples_set_silence(frame->extended_data, 0, frame->nb_samples, frame->ch_layout.nb_channels,
                           AV_SAMPLE_FMT_FLTP);
    frame->pts = i * frame_samples;
    inputs.push_back(frame.get());
    frames.push_back(std::move(frame));
  }
  inputs.push_back(nullptr);
  loop = encode(*encoder, inputs);
  // The encoder's first packets carry its start-up delay; the steady ones repeat cleanly.
  if (loop.size() > 4) loop.erase(loop.begin(), loop.begin() + 2);
  if (loop.empty()) return std::nullopt;
  return TrackConfig{TrackKind::audio, parameters_of(*encoder), {0, 1}};
}

}  // namespace

std::optional<Slate> Slate::make(const SegmentInfo& like) {
  Slate slate;
  slate.segment_ = std::make_shared<SegmentInfo>();
  slate.frame_ms_ = like.frame_duration_ms > 0 ? like.frame_duration_ms : 40;
  slate.segment_->frame_duration_ms = slate.frame_ms_;
  slate.segment_->url = "slate";
  Loop video_loop;
  Loop audio_loop;
  if (like.video) slate.segment_->video = make_video(*like.video, slate.frame_ms_, video_loop);
  if (like.audio) {
    slate.segment_->audio = make_audio(*like.audio, audio_loop, slate.audio_frame_samples_);
    if (slate.segment_->audio) slate.sample_rate_ = like.audio->params->sample_rate;
  }
  slate.video_loop_ = std::make_shared<const Loop>(std::move(video_loop));
  slate.audio_loop_ = std::make_shared<const Loop>(std::move(audio_loop));
  if (!slate.segment_->video && !slate.segment_->audio) return std::nullopt;
  if (like.video && !slate.segment_->video) {
    spdlog::warn("event=slate_without_video note=\"no encoder for the session's video\"");
  }
  return slate;
}

std::string Slate::key_of(const SegmentInfo& like) {
  std::string key = "frame_ms=" + std::to_string(like.frame_duration_ms);
  if (like.video) {
    const AVCodecParameters& video = *like.video->params;
    key += " video=" + std::to_string(video.codec_id) + "/" + std::to_string(video.width) + "x" +
           std::to_string(video.height) + "/" + std::to_string(video.profile);
  }
  if (like.audio) {
    const AVCodecParameters& audio = *like.audio->params;
    char layout[128] = "";
    av_channel_layout_describe(&audio.ch_layout, layout, sizeof layout);
    key += " audio=" + std::to_string(audio.codec_id) + "/" + std::to_string(audio.sample_rate) +
           "/" + layout;
  }
  return key;
}

void Slate::rewind() {
  video_count_ = 0;
  audio_count_ = 0;
}

std::optional<MediaPacket> Slate::next(int64_t until_ms) {
  int64_t video_dts = video_count_ * frame_ms_;
  int64_t audio_dts = audio_count_ * audio_frame_samples_ * 1000 / sample_rate_;
  bool has_video = !video_loop_->empty() && video_dts <= until_ms;
  bool has_audio = !audio_loop_->empty() && audio_dts <= until_ms;
  if (!has_video && !has_audio) return std::nullopt;
  bool is_video = has_video && (!has_audio || video_dts <= audio_dts);
  const Loop& loop = is_video ? *video_loop_ : *audio_loop_;
  int64_t& count = is_video ? video_count_ : audio_count_;
  const AVPacket& source = *loop[static_cast<size_t>(count) % loop.size()];
  MediaPacket packet;
  packet.packet = make_packet();
  av_packet_ref(packet.packet.get(), &source);
  av_packet_free_side_data(packet.packet.get());
  packet.packet->dts = packet.packet->pts = is_video ? video_dts : audio_dts;
  packet.track = is_video ? TrackKind::video : TrackKind::audio;
  packet.is_keyframe = (source.flags & AV_PKT_FLAG_KEY) != 0;
  ++count;
  return packet;
}

SlateCache& SlateCache::shared() {
  static auto* cache = new SlateCache();  // never destroyed: relays may outlive static teardown
  return *cache;
}

SlateCache::Claim SlateCache::find_or_claim(const std::string& key, std::optional<Slate>& slate) {
  std::lock_guard lock(mutex_);
  auto [entry, is_new] = entries_.try_emplace(key);
  entry->second.last_use = ++uses_;
  if (!is_new) {
    if (!entry->second.is_ready) return Claim::kBusy;
    slate = entry->second.slate;
    return Claim::kReady;
  }
  if (entries_.size() > kMaxEntries) {
    // The least recently used slate that is ready goes.
    auto oldest = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.is_ready &&
          (oldest == entries_.end() || it->second.last_use < oldest->second.last_use)) {
        oldest = it;
      }
    }
    if (oldest != entries_.end()) entries_.erase(oldest);
  }
  return Claim::kMine;
}

void SlateCache::abandon(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto entry = entries_.find(key);
  if (entry != entries_.end() && !entry->second.is_ready) entries_.erase(entry);
}

void SlateCache::finish(const std::string& key, const std::optional<Slate>& slate) {
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[key];
  entry.is_ready = true;
  entry.slate = slate;
}

}  // namespace streamrelay::media
