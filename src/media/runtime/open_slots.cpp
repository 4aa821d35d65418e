#include "media/runtime/open_slots.h"

#include <algorithm>

#include "media/runtime/event_loops.h"

namespace streamrelay::media::runtime {
namespace {

std::atomic<int> g_open_slots{128};
// How long a waiting fiber parks before it looks at its stop flag again.
constexpr auto kStopCheck = std::chrono::seconds(1);

}  // namespace

OpenSlots& OpenSlots::shared() {
  static auto* slots = new OpenSlots(g_open_slots.load());  // relays may outlive static teardown
  return *slots;
}

void OpenSlots::configure(int slots) {
  g_open_slots = std::max(1, slots);
}

std::optional<OpenSlots::Permit> OpenSlots::acquire(const std::atomic<bool>& stop) {
  Fiber* fiber = Fiber::current();
  std::shared_ptr<Waiter> waiter;  // only once it has to wait
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (free_ > 0) {
        --free_;
        if (waiter) waiter->is_waiting = false;
        return Permit(this);
      }
      if (stop) {
        if (waiter) waiter->is_waiting = false;
        return std::nullopt;
      }
      if (!fiber) {
        freed_.wait_for(lock, std::chrono::milliseconds(100));
        continue;
      }
      if (!waiter) waiter = std::make_shared<Waiter>(Waiter{fiber->shared_from_this()});
      if (!waiter->is_queued) {
        waiter->is_queued = true;
        waiters_.push_back(waiter);
      }
    }
    sleep_for(kStopCheck);  // until release() unparks it
  }
}

int OpenSlots::free_slots() const {
  std::lock_guard lock(mutex_);
  return free_;
}

void OpenSlots::release() {
  std::shared_ptr<Fiber> next;
  {
    std::lock_guard lock(mutex_);
    ++free_;
    while (!waiters_.empty() && !next) {
      std::shared_ptr<Waiter> waiter = std::move(waiters_.front());
      waiters_.pop_front();
      waiter->is_queued = false;
      if (waiter->is_waiting) next = waiter->fiber;
    }
  }
  if (next) next->unpark();
  freed_.notify_one();
}

}  // namespace streamrelay::media::runtime
