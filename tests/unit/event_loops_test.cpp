#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "media/relay/relays.h"
#include "media/runtime/event_loops.h"
#include "media/runtime/memory_budget.h"
#include "media/runtime/open_slots.h"

using namespace streamrelay::media::runtime;
using namespace std::chrono_literals;

namespace {

int thread_count() {
  int count = 0;
  if (DIR* tasks = opendir("/proc/self/task")) {
    while (dirent* entry = readdir(tasks)) count += entry->d_name[0] != '.' ? 1 : 0;
    closedir(tasks);
  }
  return count;
}

// Goes `depth` frames of a kilobyte down the stack, parks `parks` times at the bottom, and
// checks on the way back that every frame kept what it wrote: the number of frames intact.
int descend(int depth, int parks) {
  volatile uint8_t frame[1024];
  for (size_t i = 0; i < sizeof frame; ++i) frame[i] = static_cast<uint8_t>(depth + i);
  int intact = 0;
  if (depth > 0) {
    intact = descend(depth - 1, parks);
  } else {
    for (int i = 0; i < parks; ++i) sleep_for(1ms);
  }
  for (size_t i = 0; i < sizeof frame; ++i) {
    if (frame[i] != static_cast<uint8_t>(depth + i)) return intact;
  }
  return intact + 1;
}

// Pages of the `bytes` of stack below `frame` (but its next 8 KB) that take memory.
size_t resident_pages_below(uintptr_t frame, size_t bytes) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t high = (frame - 8 * 1024) & ~(page - 1);
  uintptr_t low = (frame - bytes) & ~(page - 1);
  std::vector<unsigned char> pages((high - low) / page);
  if (mincore(reinterpret_cast<void*>(low), high - low, pages.data()) != 0) return SIZE_MAX;
  size_t resident = 0;
  for (unsigned char flags : pages) resident += flags & 1;
  return resident;
}

}  // namespace

TEST(Fibers, AFiberGivesBackTheStackPagesBelowItsFrameOnceParkedAndItsFramesStayIntact) {
  EventLoops loops(1);
  size_t resident_before = 0;
  size_t resident_after = 0;
  int intact_after_return = 0;
  int intact_while_parked = 0;
  // The stack a session's opening used, deep below where the fiber then parks for good.
  auto returned = Fiber::spawn(loops.pick(), "returned", [&] {
    char top = 0;
    auto frame = reinterpret_cast<uintptr_t>(&top);
    intact_after_return = descend(64, 0);
    resident_before = resident_pages_below(frame, 60 * 1024);
    for (int i = 0; i < 70; ++i) sleep_for(1ms);
    resident_after = resident_pages_below(frame, 60 * 1024);
  });
  // Parked at the bottom of deep frames when the stack is trimmed: nothing above goes.
  auto parked =
      Fiber::spawn(loops.pick(), "parked", [&] { intact_while_parked = descend(64, 70); });
  returned->join();
  parked->join();
  EXPECT_EQ(intact_after_return, 65);
  EXPECT_EQ(intact_while_parked, 65);
  EXPECT_GT(resident_before, 10u) << "the descent did not touch the stack below the frame";
  EXPECT_LT(resident_after, 3u) << "the pages below the parked frame were kept";
}

TEST(EventLoops, AThousandParkedFibersAddNoThread) {
  EventLoops loops(2);
  std::atomic<bool> is_stopping{false};
  std::mutex mutex;
  WakeSignal signal;
  std::atomic<int> running{0};
  int before = thread_count();
  std::vector<std::shared_ptr<Fiber>> fibers;
  for (int i = 0; i < 1000; ++i) {
    fibers.push_back(Fiber::spawn(loops.pick(), "test", [&] {
      ++running;
      std::unique_lock lock(mutex);
      while (!signal.wait_for(lock, 10s, [&] { return is_stopping.load(); })) {
      }
      --running;
    }));
  }
  auto deadline = Clock::now() + 10s;
  while (running < 1000 && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(running, 1000);
  EXPECT_EQ(thread_count(), before);
  {
    std::lock_guard lock(mutex);
    is_stopping = true;
  }
  signal.notify_all();
  for (auto& fiber : fibers) fiber->join();
  EXPECT_EQ(running, 0);
}

TEST(EventLoops, ASleepingFiberLetsTheOthersOfItsLoopRun) {
  EventLoops loops(1);
  auto& loop = loops.pick();
  std::atomic<int> ticks{0};
  auto sleeper = Fiber::spawn(loop, "sleeper", [] { sleep_for(300ms); });
  auto ticker = Fiber::spawn(loop, "ticker", [&] {
    for (int i = 0; i < 10; ++i) {
      ++ticks;
      sleep_for(10ms);
    }
  });
  ticker->join();
  EXPECT_EQ(ticks, 10);
  EXPECT_FALSE(sleeper->is_done()) << "the ticker had to wait for the sleeper";
  sleeper->join();
}

TEST(EventLoops, AnUnparkEndsAParkAtOnceFromAnotherThread) {
  EventLoops loops(1);
  auto started = Clock::now();
  std::atomic<bool> is_parked{false};
  auto fiber = Fiber::spawn(loops.pick(), "parked", [&] {
    is_parked = true;
    Fiber::current()->park_until(Clock::now() + 10s);
  });
  while (!is_parked) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(20ms);
  fiber->unpark();
  fiber->join();
  EXPECT_LT(Clock::now() - started, 5s);
}

TEST(EventLoops, ABlockingCallRunsOffTheLoopAndItsErrorComesBack) {
  EventLoops loops(1);
  auto& loop = loops.pick();
  std::thread::id loop_thread;
  std::thread::id call_thread;
  std::atomic<int> ticks{0};
  std::string error;
  auto caller = Fiber::spawn(loop, "caller", [&] {
    loop_thread = std::this_thread::get_id();
    int value = blocking_call([&] {
      call_thread = std::this_thread::get_id();
      std::this_thread::sleep_for(200ms);  // a blocking call: the loop runs on meanwhile
      return 42;
    });
    EXPECT_EQ(value, 42);
    try {
      blocking_call([]() -> int { throw std::runtime_error("refused"); });
    } catch (const std::runtime_error& failure) {
      error = failure.what();
    }
  });
  auto ticker = Fiber::spawn(loop, "ticker", [&] {
    for (int i = 0; i < 5; ++i) {
      ++ticks;
      sleep_for(10ms);
    }
  });
  ticker->join();
  EXPECT_FALSE(caller->is_done()) << "the blocking call held the loop";
  caller->join();
  EXPECT_NE(call_thread, loop_thread);
  EXPECT_EQ(error, "refused");
}

TEST(EventLoops, OffAFiberTheWaitsAreAThreadsOwn) {
  std::mutex mutex;
  WakeSignal signal;
  bool is_ready = false;
  std::thread notifier([&] {
    std::this_thread::sleep_for(20ms);
    {
      std::lock_guard lock(mutex);
      is_ready = true;
    }
    signal.notify_all();
  });
  std::unique_lock lock(mutex);
  EXPECT_TRUE(signal.wait_for(lock, 5s, [&] { return is_ready; }));
  lock.unlock();
  notifier.join();
  EXPECT_EQ(blocking_call([] { return 7; }), 7);
}

TEST(MemoryBudget, ARelayThatWouldStartWithTheBudgetNearlySpentIsRefusedWithTheReason) {
  auto& budget = MemoryBudget::shared();
  budget.set_limit(1000);
  ASSERT_TRUE(budget.try_reserve(950));
  streamrelay::media::RelayPlan plan;
  plan.task_id = "t1";
  plan.destination_url = "rtmp://127.0.0.1:1/live/out";
  plan.primary.urls = {{"rtmp://127.0.0.1:1/live/in", "rtmp://127.0.0.1:1/live/in"}};
  auto relay = streamrelay::media::make_relay(plan, nullptr);
  std::string error;
  try {
    relay->start();
  } catch (const std::runtime_error& refusal) {
    error = refusal.what();
  }
  budget.release(950);
  budget.set_limit(0);
  EXPECT_NE(error.find("relay memory budget is spent"), std::string::npos) << error;
  EXPECT_FALSE(relay->has_stopped()) << "nothing was started";
}

TEST(OpenSlots, AtMostTheSlotsAreOpeningAtOnceAndEveryWaiterGetsItsTurn) {
  EventLoops loops(2);
  OpenSlots slots(3);
  std::atomic<bool> never{false};
  std::atomic<int> opening{0};
  std::atomic<int> most{0};
  std::atomic<int> opened{0};
  auto open = [&] {
    auto slot = slots.acquire(never);
    ASSERT_TRUE(slot.has_value());
    int now = ++opening;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    sleep_for(5ms);  // the open, parked on its socket
    --opening;
    ++opened;
  };
  std::vector<std::shared_ptr<Fiber>> fibers;
  for (int i = 0; i < 40; ++i) fibers.push_back(Fiber::spawn(loops.pick(), "open", open));
  std::vector<std::thread> threads;  // legs made of blocking calls wait as threads
  for (int i = 0; i < 4; ++i) threads.emplace_back(open);
  for (auto& fiber : fibers) fiber->join();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(opened, 44);
  EXPECT_EQ(most, 3);
  EXPECT_EQ(slots.free_slots(), 3);
}

TEST(OpenSlots, AWaiterThatIsStoppedLeavesWithoutASlot) {
  EventLoops loops(1);
  OpenSlots slots(1);
  std::atomic<bool> never{false};
  auto held = slots.acquire(never);
  ASSERT_TRUE(held.has_value());
  std::atomic<bool> stop{false};
  std::atomic<int> outcome{-1};
  auto waiter = Fiber::spawn(loops.pick(), "waiter",
                             [&] { outcome = slots.acquire(stop).has_value() ? 1 : 0; });
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(outcome, -1) << "it did not wait for the slot";
  stop = true;
  waiter->unpark();
  waiter->join();
  EXPECT_EQ(outcome, 0);
  held.reset();
  EXPECT_EQ(slots.free_slots(), 1) << "the stopped waiter kept a slot";
}
