#include "media/runtime/event_loops.h"

#include <poll.h>

#include <algorithm>
#include <exception>

#include <boost/asio/executor_work_guard.hpp>

#include "media/av_logging.h"

namespace streamrelay::media::runtime {
namespace {

std::atomic<int> g_loop_threads{0};
std::atomic<int> g_worker_threads{512};
// A worker with nothing to do for this long ends (the pool grows again on demand).
constexpr auto kWorkerIdle = std::chrono::seconds(30);

}  // namespace

struct EventLoops::Loop {
  boost::asio::io_context context{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
      context.get_executor()};
  std::thread thread;
};

EventLoops& EventLoops::shared() {
  // Never destroyed: relays are stopped before the process ends, and a loop outliving the
  // statics cannot run a handler into one that is gone.
  static auto* loops = new EventLoops(g_loop_threads.load());
  return *loops;
}

void EventLoops::configure(int threads) {
  g_loop_threads = threads;
}

EventLoops::EventLoops(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < threads; ++i) {
    auto loop = std::make_unique<Loop>();
    loop->thread = std::thread([context = &loop->context] { context->run(); });
    loops_.push_back(std::move(loop));
  }
}

EventLoops::~EventLoops() {
  for (auto& loop : loops_) {
    loop->guard.reset();
    loop->context.stop();
  }
  for (auto& loop : loops_) loop->thread.join();
}

boost::asio::io_context& EventLoops::pick() {
  return loops_[next_.fetch_add(1) % loops_.size()]->context;
}

WorkerPool& WorkerPool::shared() {
  static auto* pool = new WorkerPool(g_worker_threads.load());
  return *pool;
}

void WorkerPool::configure(int max_threads) {
  g_worker_threads = std::max(1, max_threads);
}

WorkerPool::~WorkerPool() {
  std::unique_lock lock(mutex_);
  is_stopping_ = true;
  has_job_.notify_all();
  has_ended_.wait(lock, [this] { return threads_ == 0; });
}

void WorkerPool::submit(std::function<void()> job) {
  std::lock_guard lock(mutex_);
  jobs_.push_back(std::move(job));
  if (idle_ >= static_cast<int>(jobs_.size()) || threads_ >= max_threads_) {
    has_job_.notify_one();
    return;
  }
  ++threads_;
  std::thread([this] { work(); }).detach();
}

void WorkerPool::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    bool has_work =
        has_job_.wait_for(lock, kWorkerIdle, [this] { return is_stopping_ || !jobs_.empty(); });
    --idle_;
    if (!has_work || jobs_.empty()) break;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
  --threads_;
  has_ended_.notify_all();
}

void run_blocking(const std::function<void()>& job) {
  Fiber* fiber = Fiber::current();
  if (!fiber) {
    job();
    return;
  }
  struct Call {
    std::atomic<bool> is_done{false};
    std::exception_ptr error;
  };
  auto call = std::make_shared<Call>();
  auto self = fiber->shared_from_this();
  WorkerPool::shared().submit([call, self, &job]() mutable {
    set_thread_task_id(self->label());  // FFmpeg's lines from the call name the task
    try {
      job();
    } catch (...) {
      call->error = std::current_exception();
    }
    call->is_done = true;
    // The worker lets go of the fiber as it wakes it: the last reference must not end here,
    // after the fiber's loop may have been destroyed.
    Fiber::unpark(std::move(self));
  });
  while (!call->is_done) fiber->park_until(Clock::time_point::max());
  if (call->error) std::rethrow_exception(call->error);
}

void sleep_until(Clock::time_point until) {
  if (Fiber* fiber = Fiber::current()) {
    if (Clock::now() < until) fiber->park_until(until);
    return;
  }
  std::this_thread::sleep_until(until);
}

void wait_fd(FdWatch& watch, int fd, bool for_writing, Clock::time_point until) {
  if (Fiber* fiber = Fiber::current()) {
    fiber->park_on_fd(watch, fd, for_writing, until);
    return;
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
  pollfd entry{fd, static_cast<short>(for_writing ? POLLOUT : POLLIN), 0};
  ::poll(&entry, 1, static_cast<int>(std::clamp<int64_t>(left.count(), 0, 100)));
}

void WakeSignal::wait_once(std::unique_lock<std::mutex>& lock, Clock::time_point until) {
  Fiber* fiber = Fiber::current();
  if (!fiber) {
    threads_.wait_until(lock, until);
    return;
  }
  auto self = fiber->shared_from_this();
  {
    std::lock_guard guard(fibers_mutex_);
    fibers_.push_back(self);
    ++fiber_waiters_;
  }
  lock.unlock();
  fiber->park_until(until);
  lock.lock();
  std::lock_guard guard(fibers_mutex_);
  auto at = std::find(fibers_.begin(), fibers_.end(), self);
  if (at != fibers_.end()) {
    fibers_.erase(at);
    --fiber_waiters_;
  }
}

void WakeSignal::notify_all() {
  threads_.notify_all();
  if (fiber_waiters_.load() == 0) return;
  std::vector<std::shared_ptr<Fiber>> waiting;
  {
    std::lock_guard guard(fibers_mutex_);
    waiting.swap(fibers_);
    fiber_waiters_ = 0;
  }
  for (auto& fiber : waiting) fiber->unpark();
}

}  // namespace streamrelay::media::runtime
