#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "media/io_deadline.h"
#include "media/relay/packet_queue.h"
#include "media/relay/relay_status.h"
#include "media/relay/source_leg.h"
#include "media/runtime/fiber.h"
#include "media/runtime/memory_budget.h"

namespace streamrelay::media {

// A source leg made of two: the primary and a standby, each a full source leg (live or
// playlist) as a fiber of the relay's loop with its own small queue. Both run all the time (a hot
// standby switches in at once). The selector forwards the active one's packets; when the primary
// delivers nothing for the stall threshold it switches to the standby, and back once the
// primary has flowed steadily for the stability window, on a keyframe. Each switch starts a new
// segment, so the destination leg re-anchors the timeline and nothing reconnects.
class FailoverLeg final : public SourceLeg {
 public:
  using LegFactory =
      std::function<std::unique_ptr<SourceLeg>(const LegContext& context, IoDeadline& deadline)>;

  struct FeedSpec {
    LegFactory make_leg;
    bool is_live = true;
    QueueLimits queue;
  };

  FailoverLeg(const LegContext& context, FeedSpec primary, FeedSpec standby,
              std::chrono::milliseconds stability_window);
  ~FailoverLeg() override;

  void run() override;
  void wake() override;
  void update_sources(const SourceUpdate& update) override;
  void set_paused(bool is_paused) override;
  void set_loop_limit(int64_t loop_limit) override;

 private:
  using Clock = std::chrono::steady_clock;

  // Hears one feed's events and hands them to the selector with the feed's role.
  struct FeedObserver final : RelayObserver {
    FailoverLeg* owner;
    bool is_standby;
    FeedObserver(FailoverLeg* leg, bool standby) : owner(leg), is_standby(standby) {}
    void on_relay_event(const std::string&, const RelayEvent& event) override {
      owner->on_feed_event(is_standby, event);
    }
  };

  struct Feed {
    Feed(FailoverLeg* owner, const FeedSpec& spec, bool is_standby);
    ~Feed() { clear_cache(); }
    // Empties the keyframe cache, its bytes given back to the node's budget.
    void clear_cache();

    std::string role;
    FeedObserver observer;
    bool is_live;
    PacketQueue queue;
    RelayStatus own_status;
    LegContext context;
    IoDeadline deadline;  // the feed's own bound on blocking calls
    std::unique_ptr<SourceLeg> leg;
    std::shared_ptr<runtime::Fiber> fiber;
    // What the selector has seen of it.
    std::shared_ptr<const SegmentInfo> segment;
    std::deque<MediaPacket> since_keyframe;  // an idle live feed's packets since its last keyframe
    size_t since_keyframe_bytes = 0;
    Clock::time_point last_packet;
    Clock::time_point steady_since;
    bool has_new_keyframe = false;
  };

  void on_feed_event(bool is_standby, const RelayEvent& event);
  std::shared_ptr<runtime::Fiber> fiber_of(const Feed& feed);
  void forward(QueueItem item);
  void take(Feed& feed, QueueItem& item, bool is_active);
  void drain_idle(Feed& feed);
  void decide(Clock::time_point now);
  void switch_to(Feed& feed, RelayEventKind alarm, const std::string& why);
  Feed& active() { return *(is_on_standby_ ? standby_ : primary_); }
  Feed& idle() { return *(is_on_standby_ ? primary_ : standby_); }

  LegContext context_;
  RelaySettings feed_settings_;  // the relay's, for the feeds' legs
  std::chrono::milliseconds stability_window_;
  std::unique_ptr<Feed> primary_;
  std::unique_ptr<Feed> standby_;
  std::mutex fibers_mutex_;  // the feeds' fibers: started by run(), woken by a stop from anywhere
  std::atomic<bool> is_on_standby_{false};
  std::atomic<bool> is_paused_{false};
  std::atomic<bool> has_primary_reported_trouble_{false};
  uint64_t segment_counter_ = 1000000;  // apart from the feeds' own numbering
};

}  // namespace streamrelay::media
