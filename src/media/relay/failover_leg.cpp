#include "media/relay/failover_leg.h"

#include "media/runtime/event_loops.h"

#include <spdlog/spdlog.h>

namespace streamrelay::media {
namespace {

// An idle live feed keeps at most this much since its last keyframe (about a GOP or two).
constexpr size_t kMaxKeyframeCacheBytes = 4 * 1024 * 1024;
constexpr std::chrono::milliseconds kPollInterval{20};

}  // namespace

FailoverLeg::Feed::Feed(FailoverLeg* owner, const FeedSpec& spec, bool is_standby)
    : role(is_standby ? "backup" : "primary"),
      observer(owner, is_standby),
      is_live(spec.is_live),
      queue(spec.queue),
      own_status(owner->context_.settings.stall_threshold),
      // The primary reports into the relay's status (its errors are the relay's); the standby
      // into its own, shown only while it is on air.
      context{owner->context_.task_id,
              owner->feed_settings_,
              queue,
              is_standby ? own_status : owner->context_.status,
              &observer,
              owner->context_.stop_requested,
              &owner->context_.output_status()},
      deadline(owner->context_.stop_requested),
      leg(spec.make_leg(context, deadline)),
      last_packet(Clock::now()),
      steady_since(Clock::now()) {}

void FailoverLeg::Feed::clear_cache() {
  runtime::MemoryBudget::shared().release(static_cast<int64_t>(since_keyframe_bytes));
  since_keyframe.clear();
  since_keyframe_bytes = 0;
}

FailoverLeg::FailoverLeg(const LegContext& context, FeedSpec primary, FeedSpec standby,
                         std::chrono::milliseconds stability_window)
    : context_(context), feed_settings_(context.settings), stability_window_(stability_window) {
  // A feed's silence decides the switch: its packets are read as they arrive, not batched on
  // the loop's clock grid (that hid up to a batch period of the silence, a slower failover).
  feed_settings_.live_read_batch = std::chrono::milliseconds(0);
  primary_ = std::make_unique<Feed>(this, primary, false);
  standby_ = std::make_unique<Feed>(this, standby, true);
}

FailoverLeg::~FailoverLeg() {
  for (Feed* feed : {primary_.get(), standby_.get()}) {
    feed->leg->wake();
    feed->queue.wake();
    if (auto fiber = fiber_of(*feed)) {
      fiber->unpark();
      fiber->join();
    }
  }
}

void FailoverLeg::wake() {
  for (Feed* feed : {primary_.get(), standby_.get()}) {
    feed->leg->wake();
    feed->queue.wake();
    if (auto fiber = fiber_of(*feed)) fiber->unpark();
  }
}

std::shared_ptr<runtime::Fiber> FailoverLeg::fiber_of(const Feed& feed) {
  std::lock_guard lock(fibers_mutex_);
  return feed.fiber;
}

void FailoverLeg::update_sources(const SourceUpdate& update) {
  primary_->leg->update_sources(update);
}

void FailoverLeg::set_paused(bool is_paused) {
  is_paused_ = is_paused;
  primary_->leg->set_paused(is_paused);
  standby_->leg->set_paused(is_paused);
}

void FailoverLeg::set_loop_limit(int64_t loop_limit) {
  primary_->leg->set_loop_limit(loop_limit);
}

void FailoverLeg::on_feed_event(bool is_standby, const RelayEvent& event) {
  // The standby's own troubles matter only while it is on air; the primary's always do.
  if (is_standby && !is_on_standby_) {
    spdlog::info("task_id={} event=standby_{} url={} error=\"{}\"", context_.task_id,
                 event.kind == RelayEventKind::source_recovered ? "ready" : "trouble", event.url,
                 event.error);
    return;
  }
  if (!is_standby) {
    has_primary_reported_trouble_ = event.kind == RelayEventKind::source_interrupted ||
                                    event.kind == RelayEventKind::source_unsupported;
  }
  context_.report(event);
}

void FailoverLeg::run() {
  // The feeds run beside the selector, on its loop.
  runtime::Fiber* selector = runtime::Fiber::current();
  auto& loop = selector ? selector->loop() : runtime::EventLoops::shared().pick();
  for (Feed* feed : {primary_.get(), standby_.get()}) {
    SourceLeg* leg = feed->leg.get();
    auto fiber = runtime::Fiber::spawn(loop, context_.task_id, [leg] {
      runtime::run_leg(leg->runs_on_loop(), [leg] { leg->run(); });
    });
    std::lock_guard lock(fibers_mutex_);
    feed->fiber = std::move(fiber);
  }
  while (!context_.stop_requested) {
    drain_idle(idle());
    if (auto item = active().queue.pop(kPollInterval)) take(active(), *item, true);
    decide(Clock::now());
  }
  wake();
}

void FailoverLeg::forward(QueueItem item) {
  context_.queue.push_or_wait(item, [this] { return context_.stop_requested.load(); });
}

void FailoverLeg::take(Feed& feed, QueueItem& item, bool is_active) {
  auto now = Clock::now();
  if (auto* segment = std::get_if<std::shared_ptr<const SegmentInfo>>(&item)) {
    feed.segment = *segment;
    feed.steady_since = now;  // a (re)opened source starts its steady period again
    feed.clear_cache();
  } else if (auto* packet = std::get_if<MediaPacket>(&item)) {
    if (now - feed.last_packet > context_.settings.stall_threshold) feed.steady_since = now;
    feed.last_packet = now;
    if (!is_active) {
      bool is_keyframe = packet->is_keyframe && packet->track == TrackKind::video;
      bool is_audio_only = feed.segment && !feed.segment->video;
      if (is_keyframe || is_audio_only) {
        feed.clear_cache();
        feed.has_new_keyframe = true;
      }
      if (!feed.since_keyframe.empty() || is_keyframe || is_audio_only) {
        auto size = static_cast<int64_t>(packet->size());
        // Past its own bound or the node's budget, the cache starts again at the next keyframe.
        if (feed.since_keyframe_bytes + packet->size() > kMaxKeyframeCacheBytes ||
            !runtime::MemoryBudget::shared().try_reserve(size)) {
          feed.clear_cache();
          return;
        }
        feed.since_keyframe_bytes += packet->size();
        feed.since_keyframe.push_back(std::move(*packet));
      }
      return;
    }
  }
  if (is_active) forward(std::move(item));
}

void FailoverLeg::drain_idle(Feed& feed) {
  // A playlist waits in its queue where it is; only a live feed is read and kept warm.
  if (!feed.is_live) return;
  while (auto item = feed.queue.pop(std::chrono::milliseconds(0))) take(feed, *item, false);
}

void FailoverLeg::decide(Clock::time_point now) {
  if (is_paused_) return;
  auto stall = context_.settings.stall_threshold;
  Feed& primary = *primary_;
  Feed& standby = *standby_;
  bool is_primary_stalled = now - primary.last_packet > stall;
  if (!is_on_standby_) {
    bool is_standby_ready = !standby.is_live || !standby.since_keyframe.empty();
    // The primary's own report of its trouble goes first (a moment later, it goes anyway).
    bool is_reported = has_primary_reported_trouble_ ||
                       now - primary.last_packet > stall + std::chrono::milliseconds(250);
    if (is_primary_stalled && is_standby_ready && is_reported) {
      switch_to(standby, RelayEventKind::failover_to_backup, "primary delivered nothing");
    }
    return;
  }
  bool is_primary_steady = !is_primary_stalled && now - primary.steady_since >= stability_window_;
  bool is_standby_stalled = now - standby.last_packet > stall;
  if (primary.is_live) {
    // Back on the primary's next keyframe once it has been steady (or at once if the standby
    // died and the primary has something to give).
    bool is_ready = primary.has_new_keyframe && !primary.since_keyframe.empty();
    primary.has_new_keyframe = false;
    if (is_ready && (is_primary_steady || is_standby_stalled)) {
      switch_to(primary, RelayEventKind::failback_to_primary, "primary is steady again");
    }
  } else if (primary.queue.size() > 0 &&
             (is_standby_stalled || now - standby.steady_since >= stability_window_)) {
    switch_to(primary, RelayEventKind::failback_to_primary, "the playlist plays again");
  }
}

void FailoverLeg::switch_to(Feed& feed, RelayEventKind alarm, const std::string& why) {
  is_on_standby_ = &feed == standby_.get();
  std::string url = feed.context.status.snapshot().source_url;
  context_.status.set_source(feed.role, url);
  spdlog::warn("task_id={} event=switch to={} url={} reason=\"{}\"", context_.task_id, feed.role,
               url, why);
  context_.report({alarm, url, why});
  if (feed.segment) {
    auto segment = std::make_shared<SegmentInfo>(*feed.segment);
    segment->id = ++segment_counter_;
    if (feed.is_live && !feed.since_keyframe.empty())
      segment->backlog_last_dts = feed.since_keyframe.back().dts();
    forward(std::shared_ptr<const SegmentInfo>(std::move(segment)));
  }
  std::deque<MediaPacket> held = std::move(feed.since_keyframe);
  feed.clear_cache();
  for (MediaPacket& packet : held) forward(std::move(packet));
}

}  // namespace streamrelay::media
