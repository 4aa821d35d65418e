#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "media/runtime/fiber.h"

namespace streamrelay::media::runtime {

// The data plane's threads: a fixed set of event loops (one per core by default) that run every
// relay's legs as fibers. Their number does not grow with the number of relays.
class EventLoops {
 public:
  // The process's loops, started on first use with the configured count.
  static EventLoops& shared();
  // Sets the number of loops (0: one per core); only before the first shared().
  static void configure(int threads);

  explicit EventLoops(int threads);
  ~EventLoops();
  EventLoops(const EventLoops&) = delete;
  EventLoops& operator=(const EventLoops&) = delete;

  // The loop for a new relay (in turn, so relays spread over the cores).
  boost::asio::io_context& pick();
  int size() const { return static_cast<int>(loops_.size()); }

 private:
  struct Loop;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<size_t> next_{0};
};

// Where the calls only FFmpeg can make (files, HLS, SRT, RTSP, rtmps, name lookups) block: a
// pool of worker threads that grows with the calls blocked at once, up to a bound, and shrinks
// when idle. A fiber hands such a call over and parks; its loop runs on.
class WorkerPool {
 public:
  static WorkerPool& shared();
  static void configure(int max_threads);

  explicit WorkerPool(int max_threads) : max_threads_(max_threads) {}
  ~WorkerPool();
  void submit(std::function<void()> job);

 private:
  void work();

  const int max_threads_;
  std::mutex mutex_;
  std::condition_variable has_job_;
  std::condition_variable has_ended_;
  std::deque<std::function<void()>> jobs_;
  int threads_ = 0;
  int idle_ = 0;
  bool is_stopping_ = false;
};

using Clock = std::chrono::steady_clock;

// Runs `job` where it may block: on a fiber, on the worker pool while the fiber parks (an
// exception comes back to the caller); on a plain thread, right there.
void run_blocking(const std::function<void()>& job);

template <class Fn>
auto blocking_call(Fn&& fn) -> std::invoke_result_t<Fn> {
  using Result = std::invoke_result_t<Fn>;
  if constexpr (std::is_void_v<Result>) {
    run_blocking(fn);
  } else {
    std::optional<Result> result;
    run_blocking([&] { result.emplace(fn()); });
    return std::move(*result);
  }
}

// Runs a leg's body right here (a fiber's own), or on a worker thread when it is made of calls
// that block (`on_loop` false).
inline void run_leg(bool on_loop, const std::function<void()>& body) {
  if (on_loop) {
    body();
  } else {
    run_blocking(body);
  }
}

// Sleeps until `until`; on a fiber, an unpark ends the sleep early (callers re-check).
void sleep_until(Clock::time_point until);
// The next multiple of `period` on the clock: legs that wait for a batch to gather wake on the
// same ticks, so one wake-up of a loop serves all of them instead of one each.
inline Clock::time_point next_tick(Clock::duration period) {
  auto now = Clock::now().time_since_epoch();
  return Clock::time_point((now / period + 1) * period);
}
inline void sleep_for(Clock::duration period) {
  sleep_until(Clock::now() + period);
}

// Waits until `fd` is readable (or writable) or `until` passes; on a fiber an unpark also ends
// the wait. Callers try the socket again and look at their stop flag.
void wait_fd(FdWatch& watch, int fd, bool for_writing, Clock::time_point until);

// A condition variable that fibers and threads can both wait on (with the caller's mutex).
class WakeSignal {
 public:
  // Waits, `lock` held on entry and on return, until `is_ready()` or `until`; its last answer.
  template <class Predicate>
  bool wait_until(std::unique_lock<std::mutex>& lock, Clock::time_point until, Predicate is_ready) {
    while (!is_ready()) {
      if (Clock::now() >= until) return is_ready();
      wait_once(lock, until);
    }
    return true;
  }
  template <class Predicate>
  bool wait_for(std::unique_lock<std::mutex>& lock, Clock::duration period, Predicate is_ready) {
    return wait_until(lock, Clock::now() + period, is_ready);
  }
  void notify_all();

 private:
  void wait_once(std::unique_lock<std::mutex>& lock, Clock::time_point until);

  std::condition_variable threads_;
  std::mutex fibers_mutex_;
  std::vector<std::shared_ptr<Fiber>> fibers_;
  std::atomic<int> fiber_waiters_{0};
};

}  // namespace streamrelay::media::runtime
