#pragma once

extern "C" {
#include <libavcodec/bsf.h>
}

#include <deque>

#include "media/io_deadline.h"
#include "media/relay/relay.h"
#include "media/sources/source.h"

namespace streamrelay::media {

// Any input libavformat opens (rtmp, rtmps, http(s) FLV, HLS, srt, rtsp, files): demuxes it
// and yields the packets of its best video and audio tracks, timestamps in ms.
class AvSource final : public Source {
 public:
  AvSource(IoDeadline& deadline, const RelaySettings& settings);
  ~AvSource() override { close(); }

  std::optional<SourceError> open(const std::string& url) override;
  // Opens a local copy a FileSpool made (outside the media roots, so allowed by path).
  std::optional<SourceError> open_local_copy(const std::string& path);
  const SegmentInfo& segment() const override { return segment_; }
  std::optional<SourceError> read(MediaPacket& out) override;
  void close() override;
  // Moves to the keyframe at or before `offset_ms` from the start of the input.
  bool seek(int64_t offset_ms);

  SkippedTracks skipped_tracks() const override { return skipped_; }

 private:
  SourceError error_from(int code, const char* operation) const;
  // An MP4 read from a server that cannot seek is read in file order: it plays only when its
  // samples are behind its index and both tracks advance together.
  bool needs_seekable_input() const;
  // ADTS-framed AAC (MPEG-TS, HLS, SRT) becomes raw AAC with an AudioSpecificConfig, the form
  // FLV carries, so every segment of a relay speaks the same AAC whatever its container.
  void prepare_raw_aac(AVStream& stream, AVCodecParameters& params);
  bool to_raw_aac(AVPacket& packet);
  void time_untimed_audio(AVPacket& packet, const AVStream& stream);
  // A live HLS input's cadence: its target duration, and the no-progress limit that follows it.
  void learn_playlist_cadence(const std::string& url);

  IoDeadline& deadline_;
  const RelaySettings& settings_;
  InputAccess access_;
  AvInputPtr input_;
  SegmentInfo segment_;
  // How long one read may go without a packet: the stall threshold, or longer for a source that
  // delivers in segments.
  std::chrono::milliseconds no_progress_limit_{0};
  bool has_stalled_ = false;  // the last read's deadline passed, though it returned a packet
  // The last audio packet's end, in its stream's time base, when known.
  std::optional<int64_t> next_audio_dts_;
  int video_index_ = -1;
  int audio_index_ = -1;
  SkippedTracks skipped_;
  std::deque<AvPacketPtr> pending_;  // read while probing, handed out first
  std::unique_ptr<AVBSFContext, void (*)(AVBSFContext*)> adts_to_raw_{nullptr, nullptr};
};

// True for codecs an FLV destination carries.
bool is_flv_codec(AVCodecID codec);

}  // namespace streamrelay::media
