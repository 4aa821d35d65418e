#include "media/sinks/rtmp/flv_sink.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "media/av_logging.h"
#include "media/formats/flv_tag_writer.h"
#include "media/runtime/event_loops.h"
#include "net/egress_policy.h"

namespace streamrelay::media {
namespace {

// A clean unpublish gets this long once a stop was requested.
constexpr std::chrono::milliseconds kCloseBudget{1000};
// What libavformat buffers between the FLV muxer and our RTMP client.
constexpr int kIoBufferBytes = 64 * 1024;
// A legacy server closes on its first FourCC tag at once: a failure this soon after means that.
constexpr std::chrono::seconds kFourccTrial{3};

size_t slot(TrackKind kind) {
  return kind == TrackKind::video ? 0 : 1;
}

// A tag's timestamp: 32 bits, signed, as libavformat's FLV muxer writes them.
uint32_t tag_timestamp(int64_t dts_ms) {
  return static_cast<uint32_t>(dts_ms) & 0x7FFFFFFF;
}

}  // namespace

FlvSink::FlvSink(IoDeadline& deadline, const RelaySettings& settings)
    : deadline_(deadline), settings_(settings) {}

SinkError FlvSink::error_from(int code, const char* operation) const {
  if (client_ && !client_->failure_reason().empty()) {
    return {std::string(operation) + ": " + client_->failure_reason()};
  }
  if (deadline_.has_expired()) {
    return {std::string(operation) + ": destination accepted no data within the time limit"};
  }
  std::string refusal = net::take_last_refusal();
  if (!refusal.empty()) return {std::string(operation) + ": " + refusal};
  return {std::string(operation) + ": " + describe_av_error(code)};
}

std::optional<SinkError> FlvSink::connect(const std::string& url, const SegmentInfo& layout) {
  close();
  forget_ffmpeg_errors();
  deadline_.arm(settings_.open_timeout);
  if (RtmpClient::handles(url)) {
    client_ = std::make_unique<RtmpClient>(deadline_);
    client_->set_send_stall_limit(settings_.stall_threshold);
    int rc = client_->open_for_publishing(url);
    if (rc == 0) {
      auto tracks = layout.tracks();
      bool has_tag_writer = std::all_of(tracks.begin(), tracks.end(), [](const TrackConfig* track) {
        return !track || flv::can_write(*track->params);
      });
      if (has_tag_writer) {
        for (const TrackConfig* track : tracks) {
          if (!track) continue;
          std::string refusal = refused_codec(track->params->codec_id);
          if (refusal.empty()) continue;
          close();
          return SinkError{"publish: " + refusal, true};
        }
        return start_tags(layout);
      }
      if (auto error = make_muxer(url, layout)) return error;
      output_->pb = client_->make_output_io(kIoBufferBytes);
      rc = output_->pb ? 0 : AVERROR(ENOMEM);
      // Each packet goes out as it is written, or each batch when the leg batches.
      output_->flush_packets = is_batching_ ? 0 : 1;
      return finish_connect(rc);
    }
    if (!client_->should_fall_back(rc)) {
      SinkError error = error_from(rc, "connect");
      close();
      return error;
    }
    // libavformat's client tries: a URL form ours leaves to it, or a digest-handshake server.
    spdlog::debug("event=rtmp_fallback direction=publish error=\"{}\"", describe_av_error(rc));
    client_.reset();
  }
  if (auto error = make_muxer(url, layout)) return error;
  // FFmpeg's client blocks: on a fiber, it connects on a worker thread.
  return runtime::blocking_call([&] {
    return finish_connect(open_with_ffmpeg_rtmp(&output_->pb, url, AVIO_FLAG_WRITE,
                                                &output_->interrupt_callback, settings_.tls));
  });
}

std::optional<SinkError> FlvSink::make_muxer(const std::string& url, const SegmentInfo& layout) {
  for (const TrackConfig* track : layout.tracks()) {
    if (!track || !flv::needs_enhanced_rtmp(track->params->codec_id)) continue;
    close();
    return SinkError{std::string("connect: ") + avcodec_get_name(track->params->codec_id) +
                         " goes out in enhanced RTMP, which libavformat's RTMP client (used "
                         "for rtmps:// and servers our client cannot speak with) does not write",
                     true};
  }
  AVFormatContext* raw = nullptr;
  int rc = avformat_alloc_output_context2(&raw, nullptr, "flv", url.c_str());
  if (rc < 0 || !raw) {
    SinkError error = error_from(rc, "connect");
    close();
    return error;
  }
  output_.reset(raw);
  output_->interrupt_callback = deadline_.callback();
  for (const TrackConfig* track : layout.tracks()) {
    if (!track) continue;
    AVStream* stream = avformat_new_stream(output_.get(), nullptr);
    if (!stream || avcodec_parameters_copy(stream->codecpar, track->params.get()) < 0) {
      close();
      return SinkError{"connect: out of memory"};
    }
    stream->codecpar->codec_tag = 0;
    stream->time_base = {1, 1000};
    stream->avg_frame_rate = track->frame_rate;  // announced in onMetaData
    stream_index_[slot(track->kind)] = stream->index;
    codec_[slot(track->kind)] = stream->codecpar->codec_id;
  }
  return std::nullopt;
}

std::optional<SinkError> FlvSink::start_tags(const SegmentInfo& layout) {
  is_writing_tags_ = true;
  frame_rate_ = layout.video ? layout.video->frame_rate : AVRational{0, 1};
  for (const TrackConfig* track : layout.tracks()) {
    if (!track) continue;
    params_[slot(track->kind)] = copy_parameters(*track->params);
    codec_[slot(track->kind)] = track->params->codec_id;
  }
  std::vector<uint8_t> metadata =
      flv::metadata_body(params_[0].get(), frame_rate_, params_[1].get());
  client_->queue_metadata(0, metadata);
  for (const auto& params : params_) {
    if (!params) continue;
    queue_sequence_header(*params, 0);
  }
  deadline_.arm(settings_.stall_threshold);
  if (int rc = client_->send_queued(); rc < 0) {
    SinkError error = write_error(rc, "publish");
    close();
    return error;
  }
  return std::nullopt;
}

void FlvSink::queue_sequence_header(const AVCodecParameters& params, uint32_t timestamp) {
  std::vector<uint8_t> body = flv::sequence_header_body(params);
  if (body.empty()) return;
  uint8_t type = params.codec_type == AVMEDIA_TYPE_VIDEO ? rtmp::kVideo : rtmp::kAudio;
  if (flv::needs_enhanced_rtmp(params.codec_id) && !client_->server_fourcc_list() &&
      fourcc_trial_until_ == std::chrono::steady_clock::time_point{}) {
    fourcc_trial_until_ = std::chrono::steady_clock::now() + kFourccTrial;
  }
  client_->queue_tag(type, timestamp, {}, body);
}

std::string FlvSink::refused_codec(AVCodecID codec) const {
  if (!flv::needs_enhanced_rtmp(codec)) return {};
  auto listed = client_ ? client_->server_fourcc_list() : std::nullopt;
  if (!listed) return {};
  auto fourcc = flv::video_fourcc(flv::video_codec_of(codec));
  std::string wanted(fourcc.begin(), fourcc.end());
  std::string names;
  for (const std::string& name : *listed) {
    if (name == wanted || name == "*") return {};
    names += (names.empty() ? "" : ", ") + name;
  }
  return std::string("the destination does not take ") + avcodec_get_name(codec) +
         " (enhanced RTMP codecs it lists: " + (names.empty() ? "none" : names) + ")";
}

SinkError FlvSink::write_error(int code, const char* operation) const {
  SinkError error = error_from(code, operation);
  if (fourcc_trial_until_ == std::chrono::steady_clock::time_point{} ||
      std::chrono::steady_clock::now() > fourcc_trial_until_ || !params_[0]) {
    return error;
  }
  error.message = std::string("the destination ended the session on the first ") +
                  avcodec_get_name(params_[0]->codec_id) +
                  " tags: it does not take the codec over enhanced RTMP (" + error.message + ")";
  error.is_unsupported = true;
  return error;
}

void FlvSink::announce(AvCodecParametersPtr& params, const AVCodecParameters& config,
                       uint32_t timestamp) {
  bool is_new_codec = params->codec_id != config.codec_id;
  if (is_new_codec && params->codec_type == AVMEDIA_TYPE_VIDEO) {
    std::vector<uint8_t> end = flv::end_of_sequence_body(*params);
    if (!end.empty()) client_->queue_tag(rtmp::kVideo, timestamp, {}, end);
  }
  params = copy_parameters(config);
  if (is_new_codec) {
    std::vector<uint8_t> metadata =
        flv::metadata_body(params_[0].get(), frame_rate_, params_[1].get());
    client_->queue_metadata(timestamp, metadata);
  }
  queue_sequence_header(*params, timestamp);
}

std::optional<SinkError> FlvSink::finish_connect(int rc) {
  if (rc < 0) {
    SinkError error = error_from(rc, "connect");
    close();
    return error;
  }
  AvOptions options;
  // A live session has no duration or file size to patch at the end.
  options.set("flvflags", "no_duration_filesize");
  rc = avformat_write_header(output_.get(), options.ptr());
  if (rc < 0) {
    SinkError error = error_from(rc, "publish");
    close();
    return error;
  }
  is_header_written_ = true;
  return std::nullopt;
}

bool FlvSink::can_continue_with(const SegmentInfo& segment) const {
  if (!is_connected()) return false;
  for (const TrackConfig* track : segment.tracks()) {
    if (!track) continue;
    size_t index = slot(track->kind);
    bool has_track = is_writing_tags_ ? params_[index] != nullptr : stream_index_[index] >= 0;
    if (!has_track) return false;
    if (codec_[index] == track->params->codec_id) continue;
    // Our tag writer changes codec on the session (a new sequence header) where the server
    // takes the new one; libavformat's muxer cannot.
    if (!is_writing_tags_ || !flv::can_write(*track->params) ||
        !refused_codec(track->params->codec_id).empty()) {
      return false;
    }
  }
  return true;
}

std::optional<SinkError> FlvSink::write_tag(MediaPacket& packet, const TrackConfig* new_config) {
  AvCodecParametersPtr& params = params_[slot(packet.track)];
  if (!params) return std::nullopt;  // the session has no such track
  const AVPacket& pkt = *packet.packet;
  uint32_t timestamp = tag_timestamp(pkt.dts);
  if (new_config && (new_config->params->codec_id != params->codec_id ||
                     (new_config->params->extradata_size > 0 &&
                      !is_same_extradata(*params, *new_config->params)))) {
    codec_[slot(packet.track)] = new_config->params->codec_id;
    announce(params, *new_config->params, timestamp);
  }
  // A source's new configuration within its segment (an RTMP source's new sequence header).
  size_t side_size = 0;
  const uint8_t* side = av_packet_get_side_data(&pkt, AV_PKT_DATA_NEW_EXTRADATA, &side_size);
  if (side && side_size > 0 &&
      (static_cast<size_t>(params->extradata_size) != side_size ||
       std::memcmp(params->extradata, side, side_size) != 0)) {
    AvCodecParametersPtr config = copy_parameters(*params);
    av_freep(&config->extradata);
    config->extradata = static_cast<uint8_t*>(av_mallocz(side_size + AV_INPUT_BUFFER_PADDING_SIZE));
    if (config->extradata) {
      std::memcpy(config->extradata, side, side_size);
      config->extradata_size = static_cast<int>(side_size);
      announce(params, *config, timestamp);
    }
  }
  flv::PacketBody body = flv::packet_body(*params, pkt, scratch_);
  if (body.data.empty()) return std::nullopt;
  bool is_video = packet.track == TrackKind::video;
  if (is_video) last_video_dts_ = std::max(last_video_dts_, pkt.dts);
  client_->queue_tag(is_video ? rtmp::kVideo : rtmp::kAudio, timestamp, body.header_bytes(),
                     body.data);
  if (is_batching_) return std::nullopt;
  deadline_.arm(settings_.stall_threshold);
  if (int rc = client_->send_queued(); rc < 0) return write_error(rc, "write");
  return std::nullopt;
}

std::optional<SinkError> FlvSink::write(MediaPacket& packet, const TrackConfig* new_config) {
  if (is_writing_tags_) return write_tag(packet, new_config);
  if (!output_) return SinkError{"write: not connected"};
  if (!client_ && runtime::Fiber::current()) {
    return runtime::blocking_call([&] { return write(packet, new_config); });
  }
  int index = stream_index_[slot(packet.track)];
  if (index < 0) return std::nullopt;  // the session has no such track
  AVPacket* pkt = packet.packet.get();
  pkt->stream_index = index;
  pkt->pos = -1;
  if (new_config && new_config->params->extradata_size > 0) {
    const AVCodecParameters& params = *new_config->params;
    uint8_t* side = av_packet_new_side_data(pkt, AV_PKT_DATA_NEW_EXTRADATA,
                                            static_cast<size_t>(params.extradata_size));
    if (side) std::memcpy(side, params.extradata, static_cast<size_t>(params.extradata_size));
  }
  deadline_.arm(settings_.stall_threshold);
  int rc = av_write_frame(output_.get(), pkt);
  if (rc < 0) return error_from(rc, "write");
  return std::nullopt;
}

std::optional<SinkError> FlvSink::flush() {
  if (is_writing_tags_) {
    deadline_.arm(settings_.stall_threshold);
    if (int rc = client_->send_queued(); rc < 0) return write_error(rc, "write");
    return std::nullopt;
  }
  if (!output_ || !output_->pb || !client_) return std::nullopt;
  deadline_.arm(settings_.stall_threshold);
  avio_flush(output_->pb);
  if (output_->pb->error < 0) return error_from(output_->pb->error, "write");
  return std::nullopt;
}

void FlvSink::close() {
  if (is_writing_tags_) {
    deadline_.set_closing(true);
    deadline_.arm(kCloseBudget);
    if (params_[0] && last_video_dts_ >= 0) {
      std::vector<uint8_t> end = flv::end_of_sequence_body(*params_[0]);
      if (!end.empty()) client_->queue_tag(rtmp::kVideo, tag_timestamp(last_video_dts_), {}, end);
    }
    if (client_->send_queued() == 0) client_->unpublish();
    deadline_.set_closing(false);
  }
  is_writing_tags_ = false;
  params_ = {};
  last_video_dts_ = -1;
  fourcc_trial_until_ = {};
  if (!output_) {
    client_.reset();
    codec_ = {AV_CODEC_ID_NONE, AV_CODEC_ID_NONE};
    return;
  }
  if (!client_ && runtime::Fiber::current()) {
    runtime::blocking_call([this] { close(); });
    return;
  }
  deadline_.set_closing(true);
  deadline_.arm(kCloseBudget);
  if (is_header_written_) av_write_trailer(output_.get());
  if (client_) {
    // Our client under a custom context: freed here, not by libavformat's close.
    if (output_->pb) avio_flush(output_->pb);
    RtmpClient::free_io(output_->pb);
    client_->unpublish();
    client_.reset();
  }
  output_.reset();
  deadline_.set_closing(false);
  is_header_written_ = false;
  stream_index_ = {-1, -1};
  codec_ = {AV_CODEC_ID_NONE, AV_CODEC_ID_NONE};
}

}  // namespace streamrelay::media
