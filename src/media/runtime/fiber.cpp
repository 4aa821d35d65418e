#include "media/runtime/fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <new>

#include <spdlog/spdlog.h>

#include "media/av_logging.h"

#if defined(BOOST_USE_UCONTEXT)
// Debian's Boost.Context library is built for fcontext; its ucontext variant (which tells the
// address sanitizer of each stack switch) needs the per-thread record Boost's own source defines.
namespace boost::context::detail {
fiber_activation_record*& fiber_activation_record::current() noexcept {
  thread_local fiber_activation_record thread_record;  // the thread's own stack
  thread_local fiber_activation_record* running = &thread_record;
  return running;
}
}  // namespace boost::context::detail
#endif

namespace streamrelay::media::runtime {
namespace {

thread_local Fiber* t_current = nullptr;

// A leg's deepest path is FFmpeg's FLV muxer under our own code; only the pages a fiber
// touches take memory, the rest is address space. A guard page below it turns an overflow into
// a crash instead of silent corruption.
constexpr std::size_t kStackBytes = 256 * 1024;
// Parks after which a fiber gives back the stack pages below its frame: once after its start
// (opening a session runs deep, a live relay's steady state does not), then now and then.
constexpr uint64_t kFirstTrimPark = 64;
constexpr uint64_t kTrimEveryParks = 8192;
// What stays below the parked frame: the context switch and the handlers it runs.
constexpr std::size_t kTrimMargin = 4 * 1024;

struct GuardedStack {
  char** low;  // where the fiber learns its stack's lowest usable byte
  boost::context::stack_context allocate() {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t total = kStackBytes + page;
    void* base = ::mmap(nullptr, total, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    ::mprotect(base, page, PROT_NONE);
    boost::context::stack_context stack;
    stack.size = total;
    stack.sp = static_cast<char*>(base) + total;
    *low = static_cast<char*>(base) + page;
    return stack;
  }
  void deallocate(boost::context::stack_context& stack) {
    ::munmap(static_cast<char*>(stack.sp) - stack.size, stack.size);
  }
};

}  // namespace

struct FdWatch::Descriptor {
  Descriptor(boost::asio::io_context& loop, int fd) : socket(loop, fd) {}
  boost::asio::posix::stream_descriptor socket;
};

FdWatch::FdWatch() = default;

FdWatch::~FdWatch() {
  release();
}

void FdWatch::release() {
  if (descriptor_) {
    boost::system::error_code ignored;
    descriptor_->socket.cancel(ignored);
    descriptor_->socket.release();
  }
  descriptor_.reset();
  fd_ = -1;
}

Fiber::Fiber(boost::asio::io_context& loop, std::string label, Body body)
    : loop_(loop), label_(std::move(label)), body_(std::move(body)), timer_(loop) {}

Fiber::~Fiber() = default;

std::shared_ptr<Fiber> Fiber::spawn(boost::asio::io_context& loop, std::string label, Body body) {
  std::shared_ptr<Fiber> fiber(new Fiber(loop, std::move(label), std::move(body)));
  boost::asio::post(loop, [fiber] { fiber->start(); });
  return fiber;
}

Fiber* Fiber::current() {
  return t_current;
}

void Fiber::start() {
  self_ = boost::context::fiber(
      std::allocator_arg, GuardedStack{&stack_low_}, [this](boost::context::fiber&& caller) {
        caller_ = std::move(caller);
        try {
          body_();
        } catch (const std::exception& error) {
          // The owner's body reports its own failures; this is the last line before terminate.
          spdlog::error("event=fiber_crashed label={} error=\"{}\"", label_, error.what());
        }
        body_ = nullptr;
        timer_.cancel();  // a park's timer lets go of the fiber now, not when it would expire
        {
          std::lock_guard lock(done_mutex_);
          is_done_ = true;
        }
        done_.notify_all();
        return std::move(caller_);
      });
  resume();
}

void Fiber::resume() {
  auto keep = shared_from_this();  // alive while it runs, whoever lets go of it meanwhile
  Fiber* outer = t_current;
  t_current = this;
  set_thread_task_id(label_);
  self_ = std::move(self_).resume();
  t_current = outer;
}

void Fiber::suspend() {
  caller_ = std::move(caller_).resume();
}

uint64_t Fiber::begin_park() {
  ++park_;
  if (park_ == kFirstTrimPark || park_ % kTrimEveryParks == 0) trim_stack();
  return park_;
}

void Fiber::trim_stack() {
  if (!stack_low_) return;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  char here = 0;
  uintptr_t frame = reinterpret_cast<uintptr_t>(&here);
  uintptr_t low = reinterpret_cast<uintptr_t>(stack_low_);
  // Not on this fiber's stack (a sanitizer's frame elsewhere), or too near its bottom.
  if (frame < low + kTrimMargin + page || frame > low + kStackBytes) return;
  uintptr_t high = (frame - kTrimMargin) & ~(page - 1);
  ::madvise(stack_low_, high - low, MADV_DONTNEED);
}

void Fiber::end_park(uint64_t park, Clock::time_point until) {
  if (permit_.exchange(false)) return;
  if (until != Clock::time_point::max()) {
    timer_.expires_at(until);
    timer_.async_wait([self = shared_from_this(), park](const boost::system::error_code& error) {
      if (!error) self->wake_from(park);
    });
  }
  is_parked_ = true;
  suspend();
  permit_.store(false);
}

void Fiber::wake_from(uint64_t park) {
  if (!is_parked_ || park != park_) return;
  is_parked_ = false;
  resume();
}

void Fiber::park_until(Clock::time_point until) {
  end_park(begin_park(), until);
}

void Fiber::park_on_fd(FdWatch& watch, int fd, bool for_writing, Clock::time_point until) {
  if (!watch.descriptor_ || watch.fd_ != fd) {
    watch.release();
    watch.descriptor_ = std::make_unique<FdWatch::Descriptor>(loop_, fd);
    watch.fd_ = fd;
  }
  uint64_t park = begin_park();
  using Wait = boost::asio::posix::descriptor_base::wait_type;
  watch.descriptor_->socket.async_wait(
      for_writing ? Wait::wait_write : Wait::wait_read,
      [self = shared_from_this(), park](const boost::system::error_code& error) {
        if (!error) self->wake_from(park);
      });
  end_park(park, until);
  boost::system::error_code ignored;
  watch.descriptor_->socket.cancel(ignored);  // when the park ended for another reason
}

void Fiber::unpark() {
  unpark(shared_from_this());
}

void Fiber::unpark(std::shared_ptr<Fiber> fiber) {
  fiber->permit_.store(true);
  boost::asio::io_context& loop = fiber->loop_;
  boost::asio::post(loop, [fiber = std::move(fiber)] { fiber->wake_from(fiber->park_); });
}

void Fiber::join() {
  if (Fiber* me = current()) {
    while (!is_done_) me->park_until(Clock::now() + std::chrono::milliseconds(20));
    return;
  }
  std::unique_lock lock(done_mutex_);
  done_.wait(lock, [this] { return is_done_.load(); });
}

}  // namespace streamrelay::media::runtime
