#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/store.h"

namespace streamrelay::control {

// This node's leases on the tasks it runs, on a shared store: each renewal keeps what the node
// holds and claims what nobody does (up to its capacity), each with a fencing epoch that every
// runtime write carries.
class LeaseKeeper {
 public:
  using Clock = std::chrono::steady_clock;

  // What one renewal changed.
  struct Renewal {
    std::vector<std::string> claimed;        // newly held, or held again under a new epoch
    std::vector<std::string> changed_hands;  // held before under another epoch: someone else had it
    std::vector<std::pair<std::string, int64_t>> lost;  // held before (epoch), not any more
  };

  LeaseKeeper(store::Store& store, store::NodeInfo node, std::chrono::milliseconds ttl,
              std::chrono::milliseconds interval)
      : store_(store), node_(std::move(node)), ttl_(ttl), interval_(interval) {}

  // Renews, unless the last attempt was less than an interval ago (200 ms when `is_urgent`: a
  // task that just became due). What is held is settled before it returns (or throws).
  std::optional<Renewal> renew(bool is_urgent);
  bool holds(const std::string& task_id) const { return epochs_.contains(task_id); }
  // The fencing epoch of a lease held, 0 for none.
  int64_t epoch_of(const std::string& task_id) const;
  // Drops a lease from what is held: the next renewal sees it as newly claimed.
  void forget(const std::string& task_id);
  // No renewal for half a lease: what is held may already be another node's.
  bool is_at_risk() const;
  // Gives every lease up (the store is not told); the tasks that were held.
  std::vector<std::string> give_up();
  size_t count() const { return count_; }

 private:
  store::Store& store_;
  store::NodeInfo node_;
  std::chrono::milliseconds ttl_;
  std::chrono::milliseconds interval_;
  std::unordered_map<std::string, int64_t> epochs_;  // task_id -> fencing epoch
  Clock::time_point last_attempt_{};
  Clock::time_point last_renewal_{};
  std::atomic<size_t> count_{0};
};

}  // namespace streamrelay::control
