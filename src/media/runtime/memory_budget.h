#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace streamrelay::media::runtime {

// The node's one budget for what relays hold in memory: queued packets and the standby's
// keyframe caches. A queue that cannot reserve drops, as when it is full; a relay that would
// start with the budget nearly spent is refused with a clear error. The process never is.
class MemoryBudget {
 public:
  // The process's budget (no limit until configured).
  static MemoryBudget& shared();

  explicit MemoryBudget(int64_t limit_bytes = 0) : limit_(limit_bytes) {}

  // 0: no limit.
  void set_limit(int64_t bytes) { limit_ = bytes; }
  int64_t limit() const { return limit_; }
  int64_t used() const { return used_; }

  // Takes `bytes` from the budget; false (and nothing taken) when that would go over it.
  bool try_reserve(int64_t bytes);
  void release(int64_t bytes) { used_.fetch_sub(bytes); }

  // A new relay needs headroom: refused above 90% of the limit (what runs keeps its room).
  bool admits_new_relay() const;
  // "the node's relay memory budget is spent: 1843 of 2048 MB in use".
  std::string describe() const;

 private:
  std::atomic<int64_t> limit_;
  std::atomic<int64_t> used_{0};
};

}  // namespace streamrelay::media::runtime
