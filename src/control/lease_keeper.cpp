#include "control/lease_keeper.h"

namespace streamrelay::control {

std::optional<LeaseKeeper::Renewal> LeaseKeeper::renew(bool is_urgent) {
  auto now = Clock::now();
  // Claiming a task that just became due may not wait a full interval, but is not retried on
  // every wake-up either.
  auto wait = is_urgent ? std::min(interval_, std::chrono::milliseconds(200)) : interval_;
  if (now - last_attempt_ < wait) return std::nullopt;
  last_attempt_ = now;
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::vector<store::Lease> held = store_.acquire_leases(node_, now_ms, ttl_.count());
  last_renewal_ = now;
  Renewal renewal;
  std::unordered_map<std::string, int64_t> next;
  for (const store::Lease& lease : held) {
    next[lease.task_id] = lease.epoch;
    auto before = epochs_.find(lease.task_id);
    if (before != epochs_.end() && before->second == lease.epoch) continue;
    renewal.claimed.push_back(lease.task_id);
    if (before != epochs_.end()) renewal.changed_hands.push_back(lease.task_id);
  }
  for (const auto& [id, epoch] : epochs_) {
    if (!next.contains(id)) renewal.lost.emplace_back(id, epoch);
  }
  // Ownership is settled before anything else can fail: a lost task is never kept running.
  epochs_ = std::move(next);
  count_ = epochs_.size();
  return renewal;
}

int64_t LeaseKeeper::epoch_of(const std::string& task_id) const {
  auto found = epochs_.find(task_id);
  return found == epochs_.end() ? 0 : found->second;
}

void LeaseKeeper::forget(const std::string& task_id) {
  epochs_.erase(task_id);
  count_ = epochs_.size();
}

bool LeaseKeeper::is_at_risk() const {
  return !epochs_.empty() && Clock::now() - last_renewal_ > ttl_ / 2;
}

std::vector<std::string> LeaseKeeper::give_up() {
  std::vector<std::string> held;
  for (const auto& [id, epoch] : epochs_) held.push_back(id);
  epochs_.clear();
  count_ = 0;
  return held;
}

}  // namespace streamrelay::control
