#include <gtest/gtest.h>

#include <dirent.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "media/relay/relays.h"
#include "media/runtime/event_loops.h"
#include "media/runtime/memory_budget.h"

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

}  // namespace

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
