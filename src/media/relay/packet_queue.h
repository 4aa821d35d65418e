#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>

#include "media/media_packet.h"
#include "media/runtime/event_loops.h"
#include "media/runtime/memory_budget.h"

namespace streamrelay::media {

// Packets were dropped before this point: the consumer resumes on a keyframe.
struct QueueGap {};

// The source has nothing more to give: a playlist played all its rounds.
struct QueueEnd {};

using QueueItem = std::variant<std::shared_ptr<const SegmentInfo>, MediaPacket, QueueGap, QueueEnd>;

struct QueueLimits {
  // About 8 s of a 4 Mbps stream: enough to ride out a destination reconnect without stalling
  // the source, small enough that a stuck destination cannot eat a node's memory.
  size_t max_bytes = 4 * 1024 * 1024;
  size_t max_items = 4096;
};

// The bounded queue that joins a relay's source leg to its destination leg. The producer never
// blocks: when full, every queued packet is dropped (the newest segment marker is kept) and the
// consumer is told to resume on a keyframe.
class PacketQueue {
 public:
  // What it holds also counts against the node's `budget`: when that is spent, the queue drops
  // as when it is full itself.
  explicit PacketQueue(QueueLimits limits = {},
                       runtime::MemoryBudget& budget = runtime::MemoryBudget::shared())
      : limits_(limits), budget_(budget) {}
  ~PacketQueue() { budget_.release(static_cast<int64_t>(bytes_)); }
  PacketQueue(const PacketQueue&) = delete;
  PacketQueue& operator=(const PacketQueue&) = delete;

  // `wakes_consumer` false: more follows at once, the consumer is woken by the last of them.
  void push(QueueItem item, bool wakes_consumer = true);
  // Waits for room instead of dropping (a file source can wait; a live one cannot). Gives up,
  // returning false, as soon as `should_abort` holds (it is polled every few milliseconds).
  bool push_or_wait(QueueItem& item, const std::function<bool()>& should_abort);
  std::optional<QueueItem> pop(std::chrono::milliseconds timeout);
  // Drops every queued packet, as on overflow.
  void drop_packets();
  // Wakes a consumer waiting in pop().
  void wake();
  // Tells a waiting consumer that items pushed without waking it are there.
  void signal_ready() { ready_.notify_all(); }

  size_t dropped_packets() const;
  size_t size() const;

 private:
  void drop_packets_locked();

  QueueLimits limits_;
  runtime::MemoryBudget& budget_;
  mutable std::mutex mutex_;
  runtime::WakeSignal ready_;
  runtime::WakeSignal room_;
  std::deque<QueueItem> items_;
  size_t bytes_ = 0;
  size_t dropped_ = 0;
};

}  // namespace streamrelay::media
