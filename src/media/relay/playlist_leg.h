#pragma once

#include <memory>
#include <mutex>
#include <optional>

#include "media/file_spool.h"
#include "media/io_deadline.h"
#include "media/relay/backoff.h"
#include "media/relay/playlist_cursor.h"
#include "media/relay/relays.h"
#include "media/relay/source_leg.h"
#include "media/runtime/event_loops.h"
#include "media/sources/av/av_source.h"
#include "media/timeline/dts_interleaver.h"

namespace streamrelay::media {

// The source leg of a playlist relay: plays the files in order (each file one input segment),
// loops, skips a file that cannot be played with an alarm, waits for room in the queue (the
// destination leg paces), and takes updates, pauses and resumes at the position the
// destination reached.
class PlaylistLeg final : public SourceLeg {
 public:
  PlaylistLeg(const LegContext& context, IoDeadline& deadline, const SourcePlan& plan);

  void run() override;
  bool runs_on_loop() const override { return false; }
  void wake() override;
  void update_sources(const SourceUpdate& update) override;
  void set_paused(bool is_paused) override;
  void set_loop_limit(int64_t loop_limit) override;

 private:
  enum class Outcome { played, failed, interrupted };

  Outcome play(PlaylistItem item);
  Outcome play_opened(const PlaylistItem& item);
  // Opens the item's file, through a local copy when its server cannot seek; the copy's path
  // ("" when none) is left in `local_copy`.
  std::optional<SourceError> open_item(const PlaylistItem& item, std::string& local_copy);
  Outcome push(QueueItem item);
  bool apply_pending_changes();
  void apply_update(const SourceUpdate& update);
  void resume_at_playhead();
  void on_file_failure(const PlaylistItem& item, const SourceError& error);
  void on_file_played(const PlaylistItem& item);
  // A track of the file the destination cannot carry: an alarm, and failing without its video.
  void report_skipped_tracks(const PlaylistItem& item, const SkippedTracks& skipped);
  void wait(std::chrono::milliseconds timeout);

  LegContext context_;
  IoDeadline& deadline_;
  RelaySettings file_settings_;
  AvSource source_;
  FileSpool spool_;
  PlaylistCursor cursor_;
  DtsInterleaver interleaver_;
  Backoff backoff_;
  uint64_t segment_counter_ = 0;
  int64_t consecutive_failures_ = 0;
  // Whether a file of the current round played: a round that played nothing is not counted.
  bool has_played_in_round_ = false;
  bool is_failing_ = false;  // a file failed and none has played since
  bool is_paused_ = false;
  bool resume_next_ = false;
  bool has_sent_end_ = false;
  // An update while paused chose where to go on: resuming must not go back to the playhead.
  bool has_new_cursor_ = false;

  mutable std::mutex mutex_;
  runtime::WakeSignal wake_;
  std::optional<SourceUpdate> pending_update_;
  std::optional<int64_t> pending_loop_limit_;
  bool wants_pause_ = false;
  // Any change waiting; an update or a pause also interrupts the file being read.
  std::atomic<bool> has_change_{false};
  std::atomic<bool> has_interrupting_change_{false};
};

}  // namespace streamrelay::media
