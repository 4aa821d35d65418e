#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <string>

#include "media/io_deadline.h"
#include "media/relay/backoff.h"
#include "media/relay/packet_queue.h"
#include "media/relay/relay.h"
#include "media/relay/relay_events.h"
#include "media/relay/relay_status.h"
#include "media/relay/source_leg.h"
#include "media/sinks/sink.h"
#include "media/timeline/pacer.h"
#include "media/timeline/silence_filler.h"
#include "media/timeline/slate.h"
#include "media/timeline/timeline_rebaser.h"

namespace streamrelay::media {

// The destination leg of a relay: takes segments and packets from the queue, starts every
// segment and session on a keyframe, re-times packets onto one continuous timeline, announces
// changed codec configuration, and keeps the publish session up (reconnecting with backoff
// only when the destination itself fails).
class PushLeg {
 public:
  // Files are paced to real time (`is_paced`); live packets go out as they arrive.
  PushLeg(LegContext context, std::string destination_url, bool is_paced,
          std::unique_ptr<Sink> sink, IoDeadline& deadline);

  // A standby source is there to take over: the slate waits a little longer for it.
  void set_has_standby(bool has_standby) { has_standby_ = has_standby; }

  // The leg's body; returns when a stop is requested.
  void run();
  // Only our own RTMP client parks instead of blocking (an rtmps:// session is FFmpeg's).
  bool runs_on_loop() const;

 private:
  using Clock = std::chrono::steady_clock;

  void on_segment(std::shared_ptr<const SegmentInfo> segment);
  void on_packet(MediaPacket& packet);
  void on_end();
  // Nothing to push: after the stall threshold the slate keeps the session alive.
  void on_idle();
  // Sends what the sink holds (a live leg's batch); a failure is handled as a write's.
  void flush_batch();
  Clock::time_point first_unflushed_{};  // when the oldest item since the last flush came
  int items_since_flush_ = 0;
  bool start_slate();
  // The slate for `like` from the node's cache, encoded here if no relay has yet (while another
  // encodes it, this one waits for it).
  std::optional<Slate> shared_slate(const SegmentInfo& like);
  void leave_slate(bool resumes_same_segment);
  void reset_pacer();
  void wait_until_due(int64_t dts);
  void track_playlist(int64_t input_dts, int64_t output_dts, bool is_video);
  void finish_item();
  // A packet a segment can begin with: a video keyframe, or any packet of a segment without
  // video.
  bool is_start_point(const MediaPacket& packet) const;
  bool passes_keyframe_gate(const MediaPacket& packet);
  bool ensure_connected();
  // Connects for this (keyframe) packet: a live relay tries once, a paced one until it works.
  bool connect_for(const MediaPacket& packet);
  // Audio that comes before its segment's first keyframe (a muxer that sends audio ahead of the
  // video) is held instead of dropped; what is dated at or after the keyframe goes out after it.
  bool holds_early_audio(MediaPacket& packet);
  void release_early_audio(int64_t keyframe_dts);
  void write_packet(MediaPacket& packet);
  // Reports and logs a failure, with the destination's secrets redacted from `reason`.
  void on_push_failure(const SinkError& failure);
  // Maps a packet onto the output timeline (silence filling a hole before a segment's first
  // audio); false when it is not to be written, or the destination failed meanwhile.
  bool retime(MediaPacket& packet);
  // Before the first audio of a segment: silence over a hole its source left (false when the
  // destination failed meanwhile).
  bool fill_audio_hole(int64_t last_dts, int64_t next_dts);
  // FFmpeg's FLV writer keeps 31 bits of a timestamp (about 24.8 days): a session near that is
  // renewed on a keyframe, with an alarm, instead of wrapping silently.
  static constexpr int64_t kRenewSessionAtMs = (int64_t{1} << 31) - 10 * 60 * 1000;
  bool is_session_renewal_due(const MediaPacket& packet) const;
  void renew_session();
  const TrackConfig* take_new_config(TrackKind kind);
  void report(RelayEventKind kind, const std::string& error);

  LegContext context_;
  std::string destination_url_;
  bool is_paced_;
  std::unique_ptr<Sink> sink_;
  IoDeadline& deadline_;
  Backoff backoff_;
  TimelineRebaser rebaser_;
  std::shared_ptr<const SegmentInfo> segment_;
  bool needs_keyframe_ = true;
  std::deque<MediaPacket> early_audio_;
  // About 3 s of AAC at 44.1 kHz: more than any muxer's lead of audio over video.
  static constexpr size_t kMaxEarlyAudio = 128;
  bool is_failing_ = false;
  bool has_started_ = false;
  bool has_ended_ = false;
  Clock::time_point last_input_ = Clock::now();  // when the queue last gave anything
  bool has_standby_ = false;
  // The slate: made for the session's codec configuration, on air while no source plays.
  SilenceFiller silence_;
  std::optional<Slate> slate_;
  std::shared_ptr<const AVCodecParameters> slate_for_video_;
  std::shared_ptr<const AVCodecParameters> slate_for_audio_;
  std::shared_ptr<const SegmentInfo> source_segment_;
  bool is_on_slate_ = false;
  Clock::time_point slate_started_{};
  std::string role_before_slate_ = "primary";
  Pacer pacer_;
  bool paces_live_segment_ = false;
  // A paced live segment whose source falls this far behind its pace is not waited for.
  static constexpr std::chrono::milliseconds kLiveBacklogMaxLag{300};
  // The playlist file being pushed: its item and its first and last output DTS.
  std::optional<PlaylistItem> item_;
  bool is_item_reported_ = false;
  int64_t item_first_dts_ = 0;
  int64_t item_last_dts_ = 0;
  Clock::time_point next_connect_{};
  // A destination that does not take the video codec: tried again after this, or when the codec
  // changes; the alarm is raised once until the push recovers.
  static constexpr std::chrono::minutes kUnsupportedRetry{5};
  AVCodecID unsupported_video_ = AV_CODEC_ID_NONE;
  bool is_unsupported_reported_ = false;
  Clock::time_point connected_at_{};  // the epoch until the first session
  // The codec configuration the destination last saw, per track (video, audio).
  std::array<std::shared_ptr<const AVCodecParameters>, 2> announced_;
};

}  // namespace streamrelay::media
