#include "media/sources/av/av_source.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string_view>
#include <vector>

#include "media/av_logging.h"
#include "media/formats/codec_config.h"
#include "media/formats/flv_tag_writer.h"
#include "media/sources/av/flv_probe.h"
#include "media/sources/av/hls_cadence.h"
#include "net/egress_policy.h"

namespace streamrelay::media {
namespace {

// Bounds what probing a source may read before relaying starts.
constexpr int64_t kProbeSizeBytes = 2 * 1024 * 1024;
constexpr AVRational kMillisecond = {1, 1000};
// Tracks further apart than this in file order cannot be interleaved while reading forward.
constexpr int64_t kMaxFileOrderSkewMs = 5000;
// Live HLS starts this many segments from the end of its playlist, one behind the newest: the
// demuxer reloads the playlist on its own schedule and may find a new segment up to a target
// duration after it appeared, so the next segment is in hand while one plays at real time.
constexpr int kLiveStartSegments = 2;
// A live playlist gains a segment per target duration, and a demuxer that found nothing new
// looks again half a target later: two target durations without a packet mean it stopped.
constexpr int64_t kTargetsWithoutProgress = 2;
// The cadence assumed when the playlist cannot be read: the longest target duration in common
// use (Apple's earlier recommendation), so a healthy source is not taken for a stalled one.
constexpr int64_t kUnknownTargetMs = 10000;
// A playlist may not claim a longer cadence than this, so a stopped source is still noticed.
constexpr int64_t kMaxTargetMs = 60000;

void free_bsf(AVBSFContext* context) {
  av_bsf_free(&context);
}

int64_t frame_duration_ms(const AVStream& stream) {
  AVRational rate = stream.avg_frame_rate.num > 0 ? stream.avg_frame_rate : stream.r_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) return 40;
  int64_t ms = av_rescale(1000, rate.den, rate.num);
  return std::clamp<int64_t>(ms, 1, 1000);
}

// libavformat's RTSP client takes its transport from the URL ("rtsp://cam/s?udp"); without one
// the relay uses TCP, which crosses NAT and firewalls where UDP often does not.
bool names_rtsp_transport(const std::string& url) {
  if (url.rfind("rtsp://", 0) != 0) return false;
  size_t query = url.rfind('?');
  if (query == std::string::npos) return false;
  std::string options = "&" + url.substr(query + 1) + "&";
  for (const char* transport : {"&udp&", "&tcp&", "&multicast&", "&http&"}) {
    if (options.find(transport) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

bool is_flv_codec(AVCodecID codec) {
  return flv::video_codec_of(codec) != flv::VideoCodec::other || codec == AV_CODEC_ID_AAC ||
         codec == AV_CODEC_ID_MP3;
}

AvSource::AvSource(IoDeadline& deadline, const RelaySettings& settings)
    : deadline_(deadline), settings_(settings), access_(settings.media_roots, settings.tls) {}

SourceError AvSource::error_from(int code, const char* operation) const {
  return source_error_from(deadline_, code, operation);
}

std::optional<SourceError> AvSource::open(const std::string& url) {
  close();
  forget_ffmpeg_errors();
  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) return SourceError{SourceErrorKind::unavailable, "out of memory"};
  raw->interrupt_callback = deadline_.callback();
  raw->probesize = kProbeSizeBytes;
  raw->max_analyze_duration = settings_.probe_duration.count() * 1000;
  AvOptions options;
  if (!names_rtsp_transport(url)) options.set("rtsp_transport", "tcp");
  options.set("live_start_index", std::to_string(-kLiveStartSegments));
  access_.prepare(*raw, url, options);
  deadline_.arm(settings_.open_timeout);
  int rc = avformat_open_input(&raw, url.c_str(), nullptr, options.ptr());
  if (rc < 0) return error_from(rc, "open");
  input_.reset(raw);
  if (is_flv_input(*input_)) {
    auto limit = std::max(settings_.probe_duration, settings_.open_timeout);
    if (auto error = probe_flv_tracks(*input_, deadline_, settings_.stall_threshold,
                                      settings_.probe_duration, limit, pending_)) {
      return error_from(AVERROR(EIO), ("probe: " + *error).c_str());
    }
    complete_flv_parameters(*input_, pending_);
  } else {
    rc = avformat_find_stream_info(input_.get(), nullptr);
    if (rc < 0) return error_from(rc, "probe");
  }

  segment_ = SegmentInfo{};
  skipped_ = {};
  video_index_ = av_find_best_stream(input_.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  audio_index_ = av_find_best_stream(input_.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  auto select = [&](int& index, TrackKind kind) {
    if (index < 0) return;
    const AVStream& stream = *input_->streams[index];
    if (!is_flv_codec(stream.codecpar->codec_id)) {
      (kind == TrackKind::video ? skipped_.video : skipped_.audio) =
          avcodec_get_name(stream.codecpar->codec_id);
      index = -1;
      return;
    }
    AvCodecParametersPtr params = copy_parameters(*stream.codecpar);
    if (kind == TrackKind::audio) prepare_raw_aac(*input_->streams[index], *params);
    TrackConfig config{kind, share_parameters(*params), stream.avg_frame_rate};
    (kind == TrackKind::video ? segment_.video : segment_.audio) = std::move(config);
  };
  select(video_index_, TrackKind::video);
  select(audio_index_, TrackKind::audio);
  if (needs_seekable_input()) {
    close();
    return SourceError{SourceErrorKind::needs_local_copy,
                       "open: the file must be read out of order and its server does not allow "
                       "range requests"};
  }
  if (video_index_ < 0 && audio_index_ < 0) {
    std::string found = skipped_.is_empty() ? "no audio or video track" : skipped_.describe();
    close();
    return SourceError{SourceErrorKind::unsupported, "unsupported source: " + found};
  }
  if (video_index_ >= 0) {
    segment_.frame_duration_ms = frame_duration_ms(*input_->streams[video_index_]);
  } else {
    segment_.frame_duration_ms = 23;  // one AAC frame at 44.1 kHz
  }
  if (input_->start_time != AV_NOPTS_VALUE) {
    segment_.file_start_ms = av_rescale(input_->start_time, 1000, AV_TIME_BASE);
  }
  for (unsigned i = 0; i < input_->nb_streams; ++i) {
    if (static_cast<int>(i) != video_index_ && static_cast<int>(i) != audio_index_) {
      input_->streams[i]->discard = AVDISCARD_ALL;
    }
  }
  learn_playlist_cadence(url);
  return std::nullopt;
}

void AvSource::learn_playlist_cadence(const std::string& url) {
  no_progress_limit_ = settings_.stall_threshold;
  if (std::string_view(input_->iformat->name) != "hls") return;
  deadline_.arm(settings_.open_timeout);
  auto facts = fetch_hls_playlist(*input_, url);
  if (facts && facts->has_ended) return;  // a finished playlist is read like a file
  int64_t target = kUnknownTargetMs;
  if (facts && facts->target_duration_ms)
    target = std::min(*facts->target_duration_ms, kMaxTargetMs);
  segment_.playlist_target_ms = target;
  no_progress_limit_ =
      std::max(no_progress_limit_, std::chrono::milliseconds(kTargetsWithoutProgress * target));
}

std::optional<SourceError> AvSource::read(MediaPacket& out) {
  if (!input_) return SourceError{SourceErrorKind::unavailable, "source is not open"};
  for (;;) {
    AvPacketPtr packet;
    if (!pending_.empty()) {
      packet = std::move(pending_.front());  // read while probing
      pending_.pop_front();
    } else {
      // A demuxer whose read was cut off hands out what it still held (the last frames of an
      // HLS segment): those go on, and the stall they followed is reported at the next read
      // instead of being waited out a second time.
      if (has_stalled_) return error_from(AVERROR_EXIT, "read");
      packet = make_packet();
      deadline_.arm(no_progress_limit_);
      int rc = av_read_frame(input_.get(), packet.get());
      if (rc < 0) return error_from(rc, "read");
      has_stalled_ = deadline_.has_expired();
    }
    int index = packet->stream_index;
    if (index != video_index_ && index != audio_index_) continue;
    if (index == audio_index_) time_untimed_audio(*packet, *input_->streams[index]);
    av_packet_rescale_ts(packet.get(), input_->streams[index]->time_base, kMillisecond);
    if (packet->dts == AV_NOPTS_VALUE) packet->dts = packet->pts;
    if (packet->pts == AV_NOPTS_VALUE) packet->pts = packet->dts;
    if (packet->dts == AV_NOPTS_VALUE) continue;  // untimed: cannot be placed on the timeline
    if (index == audio_index_ && adts_to_raw_ && !to_raw_aac(*packet)) continue;
    out.track = index == video_index_ ? TrackKind::video : TrackKind::audio;
    out.is_keyframe = (packet->flags & AV_PKT_FLAG_KEY) != 0;
    out.packet = std::move(packet);
    return std::nullopt;
  }
}

std::optional<SourceError> AvSource::open_local_copy(const std::string& path) {
  std::error_code error_code;
  access_.allow_file(std::filesystem::weakly_canonical(path, error_code).string());
  auto error = open("file://" + path);
  access_.allow_file("");
  return error;
}

void AvSource::time_untimed_audio(AVPacket& packet, const AVStream& stream) {
  // MPEG-TS audio frames split from one PES packet may come untimed but the first (at the start
  // of a stream): each follows the one before it by its duration.
  if (packet.dts == AV_NOPTS_VALUE && packet.pts == AV_NOPTS_VALUE && next_audio_dts_)
    packet.dts = packet.pts = *next_audio_dts_;
  next_audio_dts_.reset();
  int64_t start = packet.dts != AV_NOPTS_VALUE ? packet.dts : packet.pts;
  if (start == AV_NOPTS_VALUE) return;
  int64_t duration = packet.duration;
  const AVCodecParameters& params = *stream.codecpar;
  if (duration <= 0 && params.frame_size > 0 && params.sample_rate > 0)
    duration = av_rescale_q(params.frame_size, AVRational{1, params.sample_rate}, stream.time_base);
  if (duration > 0) next_audio_dts_ = start + duration;
}

bool AvSource::needs_seekable_input() const {
  if (!input_->pb || (input_->pb->seekable & AVIO_SEEKABLE_NORMAL) ||
      std::string_view(input_->iformat->name).find("mp4") == std::string_view::npos) {
    return false;
  }
  // The selected tracks' samples in file order (as the demuxer reads them without seeking).
  struct Sample {
    int64_t position;
    int64_t ms;
    int index;
  };
  std::vector<Sample> samples;
  for (int index : {video_index_, audio_index_}) {
    if (index < 0) continue;
    AVStream* stream = input_->streams[index];
    for (int i = 0; i < avformat_index_get_entries_count(stream); ++i) {
      const AVIndexEntry* entry = avformat_index_get_entry(stream, i);
      samples.push_back(
          {entry->pos, av_rescale_q(entry->timestamp, stream->time_base, kMillisecond), index});
    }
  }
  std::sort(samples.begin(), samples.end(),
            [](const Sample& a, const Sample& b) { return a.position < b.position; });
  int64_t read_position = avio_tell(input_->pb);
  std::map<int, int64_t> furthest;
  for (const Sample& sample : samples) {
    if (sample.position < read_position) return true;  // the index came after the media
    furthest[sample.index] = std::max(furthest[sample.index], sample.ms);
    if (furthest.size() == 2 &&
        std::abs(furthest.begin()->second - furthest.rbegin()->second) > kMaxFileOrderSkewMs) {
      return true;  // one track's samples lie far after the other's
    }
  }
  return false;
}

bool AvSource::seek(int64_t offset_ms) {
  if (!input_) return false;
  int64_t target = av_rescale(offset_ms, AV_TIME_BASE, 1000);
  if (input_->start_time != AV_NOPTS_VALUE) target += input_->start_time;
  deadline_.arm(settings_.open_timeout);
  return av_seek_frame(input_.get(), -1, target, AVSEEK_FLAG_BACKWARD) >= 0;
}

void AvSource::prepare_raw_aac(AVStream& stream, AVCodecParameters& params) {
  adts_to_raw_.reset();
  if (params.codec_id != AV_CODEC_ID_AAC || params.extradata_size > 0) return;
  if (!write_audio_specific_config(params)) return;
  AVBSFContext* raw = nullptr;
  const AVBitStreamFilter* filter = av_bsf_get_by_name("aac_adtstoasc");
  if (!filter || av_bsf_alloc(filter, &raw) < 0) return;
  adts_to_raw_ = {raw, free_bsf};
  avcodec_parameters_copy(raw->par_in, stream.codecpar);
  raw->time_base_in = stream.time_base;
  if (av_bsf_init(raw) < 0) adts_to_raw_.reset();
}

bool AvSource::to_raw_aac(AVPacket& packet) {
  if (av_bsf_send_packet(adts_to_raw_.get(), &packet) < 0) return false;
  if (av_bsf_receive_packet(adts_to_raw_.get(), &packet) < 0) return false;
  av_packet_free_side_data(&packet);  // the filter's own config announcement; ours is set
  return true;
}

void AvSource::close() {
  next_audio_dts_.reset();
  has_stalled_ = false;
  pending_.clear();
  adts_to_raw_.reset();
  input_.reset();
  video_index_ = -1;
  audio_index_ = -1;
}

}  // namespace streamrelay::media
