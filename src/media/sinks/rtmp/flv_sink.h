#pragma once

#include <array>
#include <memory>

#include "media/io_deadline.h"
#include "media/relay/relay.h"
#include "media/rtmp/rtmp_client.h"
#include "media/sinks/sink.h"

namespace streamrelay::media {

// An RTMP or RTMPS publish session: libavformat's FLV muxer over our RtmpClient for rtmp://,
// over libavformat's rtmp protocol for rtmps:// (and URL forms our client does not take).
class FlvSink final : public Sink {
 public:
  FlvSink(IoDeadline& deadline, const RelaySettings& settings);
  ~FlvSink() override { close(); }

  std::optional<SinkError> connect(const std::string& url, const SegmentInfo& layout) override;
  bool is_connected() const override { return output_ != nullptr; }
  bool can_continue_with(const SegmentInfo& segment) const override;
  std::optional<SinkError> write(MediaPacket& packet, const TrackConfig* new_config) override;
  void close() override;
  void set_batching(bool is_batching) override { is_batching_ = is_batching; }
  std::optional<SinkError> flush() override;

 private:
  SinkError error_from(int code, const char* operation) const;
  // Writes the header of a session whose connection went as `rc` says.
  std::optional<SinkError> finish_connect(int rc);

  IoDeadline& deadline_;
  const RelaySettings& settings_;
  bool is_batching_ = false;
  std::unique_ptr<RtmpClient> client_;  // rtmp://: our own client under the output's pb
  AvOutputPtr output_;
  bool is_header_written_ = false;
  // Output stream index per track (video, audio); -1 when the session has no such track.
  std::array<int, 2> stream_index_{-1, -1};
  std::array<AVCodecID, 2> codec_{AV_CODEC_ID_NONE, AV_CODEC_ID_NONE};
};

}  // namespace streamrelay::media
