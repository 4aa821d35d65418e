#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "media/relay/backoff.h"
#include "media/relay/packet_queue.h"
#include "media/relay/relay.h"
#include "media/relay/relay_events.h"
#include "media/relay/relay_status.h"
#include "media/relay/source_leg.h"
#include "media/runtime/event_loops.h"
#include "media/runtime/open_slots.h"
#include "media/sources/source.h"
#include "media/timeline/burst_pacer.h"
#include "media/timeline/replay_guard.h"

namespace streamrelay::media {

// The source leg of a live relay: opens the source, pushes a segment marker and then its
// packets into the queue; on failure, end or stall, reopens with backoff. It never waits on the
// destination.
class PullLeg final : public SourceLeg {
 public:
  PullLeg(LegContext context, std::unique_ptr<Source> source, std::vector<SourceUrl> urls);

  void run() override;
  void wake() override;
  // Switches to the new URLs: the current source is dropped and the first new one opened.
  void update_sources(const SourceUpdate& update) override;
  // A paused live relay is stopped by the supervisor instead.
  void set_paused(bool) override {}
  void set_loop_limit(int64_t) override {}

 private:
  void signal_packets();
  using Clock = std::chrono::steady_clock;

  // Opens the source (its turn to open taken from `slot`, which goes once it is open), then
  // reads it.
  void pump(const SourceUrl& url, std::optional<runtime::OpenSlots::Permit>& slot);
  void read_packets(const SourceUrl& url, const std::shared_ptr<const SegmentInfo>& segment);
  // Opens the source and announces its segment; null (the failure reported) when it fails.
  std::shared_ptr<const SegmentInfo> open_source(const SourceUrl& url);
  // True for a packet the destination already has (counted, and logged once the run ends).
  bool is_replay(const MediaPacket& packet);
  void forward(MediaPacket packet, bool is_batched);
  // Holds a paced source's packet until it is due; false when the leg must stop or switch.
  bool wait_until_due(BurstPacer& pacer, const MediaPacket& packet);
  void note_recovered(const std::string& masked);
  void on_source_failure(const std::string& url, const std::string& error, bool is_unsupported);
  // A track the destination cannot carry is reported (once per kind of trouble), never dropped
  // silently; without its video the relay reads as failing.
  void report_skipped_tracks(const SkippedTracks& skipped, const std::string& url);
  void wait_backoff();
  SourceUrl current_url();

  LegContext context_;
  std::unique_ptr<Source> source_;
  Backoff backoff_;
  // Keeps a reopened HLS source from sending what the destination already has.
  ReplayGuard replay_guard_;
  int64_t replayed_packets_ = 0;
  uint64_t segment_counter_ = 0;
  bool is_interrupted_ = false;
  // Packets pushed without waking the destination leg (a batching source's, until it waits).
  bool has_unsignalled_packets_ = false;

  std::mutex mutex_;
  runtime::WakeSignal wake_;
  std::vector<SourceUrl> urls_;
  std::string reported_skipped_;
  size_t url_index_ = 0;
  std::atomic<bool> has_new_urls_{false};
};

}  // namespace streamrelay::media
