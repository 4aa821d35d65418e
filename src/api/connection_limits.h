#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace streamrelay::api {

// Open HTTP connections per client address and in all, counted across the io threads.
class ConnectionCounter {
 public:
  enum class Admission { admitted, client_at_cap, server_at_cap };

  ConnectionCounter(size_t per_client_cap, size_t total_cap);

  Admission admit(const std::string& address);
  // Whether this closing ends a burst: the connections open fell well below their recent peak.
  bool release(const std::string& address);
  size_t open_connections() const;

 private:
  bool has_burst_ended();

  const size_t per_client_cap_;
  const size_t total_cap_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, size_t> per_client_;
  size_t total_ = 0;
  size_t peak_ = 0;  // since the last burst ended
};

// An admitted connection's place in its counter, given back when the connection ends.
class ConnectionSlot {
 public:
  ConnectionSlot(std::shared_ptr<ConnectionCounter> counter, std::string address);
  ~ConnectionSlot();
  ConnectionSlot(ConnectionSlot&& other) noexcept = default;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  std::shared_ptr<ConnectionCounter> counter_;  // shared: a slot can outlive the server
  std::string address_;
};

// Bytes that requests being read may hold in all: a request reserves its body before reading it.
class PendingRequestBudget {
 public:
  explicit PendingRequestBudget(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  bool try_reserve(size_t bytes);
  void release(size_t bytes) { reserved_.fetch_sub(bytes); }
  size_t reserved_bytes() const { return reserved_.load(); }

 private:
  const size_t capacity_;
  std::atomic<size_t> reserved_{0};
};

// A request's share of the budget, given back when the request has been handled.
class BudgetReservation {
 public:
  BudgetReservation(std::shared_ptr<PendingRequestBudget> budget, size_t bytes);
  ~BudgetReservation();
  BudgetReservation(BudgetReservation&& other) noexcept = default;
  BudgetReservation& operator=(BudgetReservation&&) = delete;
  BudgetReservation(const BudgetReservation&) = delete;
  BudgetReservation& operator=(const BudgetReservation&) = delete;

 private:
  std::shared_ptr<PendingRequestBudget> budget_;
  size_t bytes_;
};

// A share of `budget`, or none when less than `bytes` is left.
std::optional<BudgetReservation> reserve_from(const std::shared_ptr<PendingRequestBudget>& budget,
                                              size_t bytes);

// Says yes at most once per interval for a key, so a flood is logged once, not per connection.
class WarningThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WarningThrottle(Clock::duration interval) : interval_(interval) {}

  bool should_warn(const std::string& key, Clock::time_point now);

 private:
  void forget_older_than(Clock::time_point cutoff);

  const Clock::duration interval_;
  std::mutex mutex_;
  std::unordered_map<std::string, Clock::time_point> last_warned_;
};

}  // namespace streamrelay::api
