#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "media/runtime/fiber.h"

namespace streamrelay::media::runtime {

// How many sources and destinations of the node may be opening at once. A node that starts
// thousands of relays together (a restart, a schedule that opens them in the same minute) opens
// them in waves: all at once, every open's deadline ran out while the servers answered the
// others, and every relay failed and retried together. An open's deadline starts once it has
// its slot.
class OpenSlots {
 public:
  static OpenSlots& shared();
  // The node's count (at least 1), before the first relay starts.
  static void configure(int slots);
  explicit OpenSlots(int slots) : free_(slots) {}

  // A slot, given back when it goes.
  class Permit {
   public:
    explicit Permit(OpenSlots* owner) : owner_(owner) {}
    ~Permit() {
      if (owner_) owner_->release();
    }
    Permit(Permit&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Permit& operator=(Permit&&) = delete;
    Permit(const Permit&) = delete;

   private:
    OpenSlots* owner_;
  };

  // Waits for a free slot, in turn (a fiber parks, a thread blocks), or until `stop` is set:
  // nullopt then. A stop is seen within a second, or at once when it unparks the fiber.
  std::optional<Permit> acquire(const std::atomic<bool>& stop);
  int free_slots() const;

 private:
  struct Waiter {
    std::shared_ptr<Fiber> fiber;
    bool is_waiting = true;  // false once it returned: a queued entry of it is passed over
    bool is_queued = false;
  };
  void release();

  mutable std::mutex mutex_;
  std::condition_variable freed_;  // for waiters that are threads
  int free_;
  std::deque<std::shared_ptr<Waiter>> waiters_;  // fibers, first come first served
};

}  // namespace streamrelay::media::runtime
