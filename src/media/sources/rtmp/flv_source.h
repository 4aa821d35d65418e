#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "media/formats/flv_tags.h"
#include "media/io_deadline.h"
#include "media/payload_pools.h"
#include "media/relay/relay.h"
#include "media/rtmp/transport/rtmp_client.h"
#include "media/sources/source.h"

namespace streamrelay::media {

// An RTMP or RTMPS source read as FLV tags, parsed here: a few tens of kilobytes per relay where
// libavformat's FLV demuxer takes over two megabytes. rtmp:// is played by our RtmpClient,
// rtmps:// (and URL forms it does not take) by libavformat's rtmp protocol. Probing
// ends as soon as every announced track has its configuration (a live start waits for nothing
// else); a new sequence header mid-stream is passed on as new codec configuration.
class FlvSource final : public Source {
 public:
  FlvSource(IoDeadline& deadline, const RelaySettings& settings);
  ~FlvSource() override { close(); }

  std::optional<SourceError> open(const std::string& url) override;
  const SegmentInfo& segment() const override { return segment_; }
  std::optional<SourceError> read(MediaPacket& out) override;
  void close() override;
  SkippedTracks skipped_tracks() const override { return skipped_; }
  bool batches_reads() const override { return player_ != nullptr; }
  void set_read_batching(std::chrono::milliseconds period) override {
    if (player_) player_->set_read_batching(period);
  }
  void set_wait_hook(std::function<void()> hook) override { wait_hook_ = std::move(hook); }

  // RTMP(S), and HTTP-FLV: an http(s) URL whose path ends in ".flv" (a live stream).
  static bool handles(const std::string& url);
  static bool is_http_flv(const std::string& url);
  bool opens_on_loop(const std::string& url) const override { return RtmpClient::handles(url); }
  bool reads_on_loop() const override { return player_ != nullptr; }

 private:
  // Reads the file header and probes the tracks of the opened input (`rc`: how the open went).
  std::optional<SourceError> finish_open(int rc);
  // Reads one tag: a packet into `out` (true), or configuration/metadata only (false).
  std::optional<SourceError> read_tag(MediaPacket& out, bool& has_packet);
  void on_video(int64_t timestamp_ms, std::span<const uint8_t> body, MediaPacket& out,
                bool& has_packet);
  void on_audio(int64_t timestamp_ms, std::span<const uint8_t> body, MediaPacket& out,
                bool& has_packet);
  bool has_announced_tracks(std::chrono::nanoseconds elapsed) const;
  void build_segment();
  SourceError error_from(int code, const char* operation) const;

  IoDeadline& deadline_;
  std::function<void()> wait_hook_;
  const RelaySettings& settings_;
  std::unique_ptr<RtmpClient> player_;  // rtmp://: our own client, tag by tag
  AVIOContext* io_ = nullptr;           // otherwise: libavformat's client, FLV bytes
  std::vector<uint8_t> data_;           // the tag read from `io_`
  flv::Metadata metadata_;
  AvCodecParametersPtr video_;
  AvCodecParametersPtr audio_;
  std::string codec_change_;  // set when the session changes video codec: the source reopens
  bool has_new_video_config_ = false;
  bool has_new_audio_config_ = false;
  bool is_probing_ = false;
  SkippedTracks skipped_;
  flv::TimestampUnwrapper timestamps_;
  std::deque<MediaPacket> pending_;
  SegmentInfo segment_;
};

}  // namespace streamrelay::media
