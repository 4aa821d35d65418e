#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/context/fiber.hpp>

namespace streamrelay::media::runtime {

// One leg of a relay as a coroutine with its own small stack, run by an event loop: where a
// thread would block (a socket, a timer, a queue), it parks and the loop runs other legs. Code
// written as straight-line blocking calls runs unchanged on a fiber or on a plain thread (the
// waits in this folder look at which one they are on).
class Fiber : public std::enable_shared_from_this<Fiber> {
 public:
  using Clock = std::chrono::steady_clock;
  using Body = std::function<void()>;

  // Starts `body` on `loop` (a loop with one thread); `label` names it in FFmpeg's log lines.
  static std::shared_ptr<Fiber> spawn(boost::asio::io_context& loop, std::string label, Body body);
  // The fiber the calling code runs on; null on a plain thread.
  static Fiber* current();

  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Wakes the fiber from a park (at once if it is parked, else its next park returns at once).
  // Any thread may call it.
  void unpark();
  // The same, handing the caller's reference to the loop: a thread that wakes a fiber and must
  // not be the one to destroy it (its loop may be gone by then) keeps no reference after this.
  static void unpark(std::shared_ptr<Fiber> fiber);
  // On the fiber: suspends until unpark() or `until`. Callers re-check what they wait for.
  void park_until(Clock::time_point until);
  // On the fiber: a park that also ends when `fd` is readable (or writable): the socket is
  // watched by the loop's reactor through `watch` (bound to this fiber's loop on first use).
  void park_on_fd(class FdWatch& watch, int fd, bool for_writing, Clock::time_point until);

  bool is_done() const { return is_done_; }
  // Waits (a thread blocks, a fiber parks) until the body has returned.
  void join();
  boost::asio::io_context& loop() { return loop_; }
  const std::string& label() const { return label_; }

 private:
  Fiber(boost::asio::io_context& loop, std::string label, Body body);
  void start();
  void resume();
  void suspend();
  // Begins a park: handlers armed for it carry its number, stale ones are ignored.
  uint64_t begin_park();
  void end_park(uint64_t park, Clock::time_point until);
  void wake_from(uint64_t park);
  // Gives the pages of the stack below the current frame back to the system.
  void trim_stack();

  boost::asio::io_context& loop_;
  std::string label_;
  Body body_;
  boost::context::fiber self_;    // the suspended fiber
  boost::context::fiber caller_;  // the loop, while the fiber runs
  boost::asio::steady_timer timer_;
  std::atomic<bool> permit_{false};
  bool is_parked_ = false;
  uint64_t park_ = 0;
  char* stack_low_ = nullptr;  // the lowest usable byte of the stack (above its guard page)
  std::atomic<bool> is_done_{false};
  std::mutex done_mutex_;
  std::condition_variable done_;
};

// A socket registered once with the reactor of the loop of the fiber that first waits on it
// (each wait is then an event, not a system call). Released before the socket closes.
class FdWatch {
 public:
  FdWatch();
  ~FdWatch();
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;
  // Forgets the socket (it stays open: its owner closes it).
  void release();

 private:
  friend class Fiber;
  struct Descriptor;
  std::unique_ptr<Descriptor> descriptor_;
  int fd_ = -1;
};

}  // namespace streamrelay::media::runtime
