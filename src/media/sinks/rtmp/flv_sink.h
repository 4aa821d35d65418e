#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <vector>

#include "media/io_deadline.h"
#include "media/relay/relay.h"
#include "media/rtmp/transport/rtmp_client.h"
#include "media/sinks/sink.h"

namespace streamrelay::media {

// An RTMP or RTMPS publish session. For rtmp:// our RtmpClient sends each packet as one message
// whose body our FLV tag writer builds (H.264, HEVC, AV1, VP9, AAC, MP3; the last three video
// codecs in enhanced RTMP's FourCC tags); libavformat's FLV muxer writes for other codecs, over
// our client, and for rtmps:// (and URL forms our client does not take) over libavformat's rtmp
// protocol, which has no enhanced RTMP.
class FlvSink final : public Sink {
 public:
  FlvSink(IoDeadline& deadline, const RelaySettings& settings);
  ~FlvSink() override { close(); }

  std::optional<SinkError> connect(const std::string& url, const SegmentInfo& layout) override;
  bool is_connected() const override { return output_ != nullptr || is_writing_tags_; }
  bool can_continue_with(const SegmentInfo& segment) const override;
  std::optional<SinkError> write(MediaPacket& packet, const TrackConfig* new_config) override;
  void close() override;
  void set_batching(bool is_batching) override { is_batching_ = is_batching; }
  std::optional<SinkError> flush() override;

 private:
  SinkError error_from(int code, const char* operation) const;
  // Sets up libavformat's FLV muxer for the layout's tracks (its I/O is set by the caller).
  std::optional<SinkError> make_muxer(const std::string& url, const SegmentInfo& layout);
  // Writes the header of a muxer session whose connection went as `rc` says.
  std::optional<SinkError> finish_connect(int rc);
  // Our client publishes: metadata and sequence headers go out as the session's first tags.
  std::optional<SinkError> start_tags(const SegmentInfo& layout);
  std::optional<SinkError> write_tag(MediaPacket& packet, const TrackConfig* new_config);
  void queue_sequence_header(const AVCodecParameters& params, uint32_t timestamp);
  // Why the destination will not take the codec, from what its connect answer said; empty when
  // it may (it listed the codec, or "*", or said nothing).
  std::string refused_codec(AVCodecID codec) const;
  // A new configuration (or codec) of a track on the running session: metadata when the codec
  // changes, then the new sequence header.
  void announce(AvCodecParametersPtr& params, const AVCodecParameters& config, uint32_t timestamp);
  // A write failure, taken as the destination refusing the codec when it came while a legacy
  // server's first FourCC tags were still on trial.
  SinkError write_error(int code, const char* operation) const;
  IoDeadline& deadline_;
  const RelaySettings& settings_;
  bool is_batching_ = false;
  std::unique_ptr<RtmpClient> client_;  // rtmp://: our own client
  AvOutputPtr output_;                  // libavformat's muxer, when it writes
  bool is_header_written_ = false;
  bool is_writing_tags_ = false;  // our tag writer writes (no muxer)
  // Output stream index per track (video, audio); -1 when the session has no such track.
  std::array<int, 2> stream_index_{-1, -1};
  std::array<AVCodecID, 2> codec_{AV_CODEC_ID_NONE, AV_CODEC_ID_NONE};
  // The tag writer's view of each track: its parameters with the configuration last sent.
  std::array<AvCodecParametersPtr, 2> params_;
  AVRational frame_rate_{0, 1};   // the session's video rate, for onMetaData
  std::vector<uint8_t> scratch_;  // a packet's data made length-prefixed
  int64_t last_video_dts_ = -1;   // for the end-of-sequence tag
  // A server that did not list its codecs got its first FourCC tag: a failure until then means
  // it does not take the codec (legacy servers close the connection on one).
  std::chrono::steady_clock::time_point fourcc_trial_until_{};
};

}  // namespace streamrelay::media
