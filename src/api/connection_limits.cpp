#include "api/connection_limits.h"

#include <algorithm>
#include <utility>

#include "observe/process_memory.h"

namespace streamrelay::api {

namespace {

// Connections whose buffers (up to ~128 KB each while a request is read) are worth giving back to
// the system once they are gone: glibc keeps freed heap memory in the process.
constexpr size_t kBurstConnections = 32;
// A burst has ended when the connections open fall to this fraction of their peak.
constexpr size_t kBurstEndFraction = 4;

}  // namespace

ConnectionCounter::ConnectionCounter(size_t per_client_cap, size_t total_cap)
    : per_client_cap_(per_client_cap), total_cap_(total_cap) {}

ConnectionCounter::Admission ConnectionCounter::admit(const std::string& address) {
  std::lock_guard lock(mutex_);
  if (total_ >= total_cap_) return Admission::server_at_cap;
  auto it = per_client_.find(address);
  if (it != per_client_.end() && it->second >= per_client_cap_) return Admission::client_at_cap;
  ++per_client_[address];
  peak_ = std::max(peak_, ++total_);
  return Admission::admitted;
}

bool ConnectionCounter::release(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto it = per_client_.find(address);
  if (it == per_client_.end()) return false;
  --total_;
  if (--it->second == 0) per_client_.erase(it);
  return has_burst_ended();
}

bool ConnectionCounter::has_burst_ended() {
  if (peak_ < kBurstConnections || total_ > peak_ / kBurstEndFraction) return false;
  peak_ = total_;
  return true;
}

size_t ConnectionCounter::open_connections() const {
  std::lock_guard lock(mutex_);
  return total_;
}

ConnectionSlot::ConnectionSlot(std::shared_ptr<ConnectionCounter> counter, std::string address)
    : counter_(std::move(counter)), address_(std::move(address)) {}

ConnectionSlot::~ConnectionSlot() {
  if (counter_ && counter_->release(address_)) observe::return_freed_memory_to_system();
}

bool PendingRequestBudget::try_reserve(size_t bytes) {
  size_t reserved = reserved_.load();
  do {
    if (bytes > capacity_ - reserved) return false;
  } while (!reserved_.compare_exchange_weak(reserved, reserved + bytes));
  return true;
}

BudgetReservation::BudgetReservation(std::shared_ptr<PendingRequestBudget> budget, size_t bytes)
    : budget_(std::move(budget)), bytes_(bytes) {}

BudgetReservation::~BudgetReservation() {
  if (budget_) budget_->release(bytes_);
}

std::optional<BudgetReservation> reserve_from(const std::shared_ptr<PendingRequestBudget>& budget,
                                              size_t bytes) {
  if (!budget->try_reserve(bytes)) return std::nullopt;
  return std::optional<BudgetReservation>(std::in_place, budget, bytes);
}

bool WarningThrottle::should_warn(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  forget_older_than(now - interval_);
  auto [it, is_new] = last_warned_.try_emplace(key, now);
  return is_new;
}

void WarningThrottle::forget_older_than(Clock::time_point cutoff) {
  std::erase_if(last_warned_, [cutoff](const auto& entry) { return entry.second <= cutoff; });
}

}  // namespace streamrelay::api
