// Name resolution bounded by the open deadline and the stop flag. A slow DNS server cannot be had
// on loopback without changing the machine's resolver, so this binary stands in for one: its own
// getaddrinfo (found before libc's, as in the service's connect guard) takes three seconds for
// any name under "slow.test." and hands every other name to the real one.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <netdb.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "media/host_resolution.h"
#include "media/rtmp/transport/rtmp_client.h"

extern "C" {
#include <libavutil/error.h>
}

using namespace streamrelay::media;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kSlowAnswer = 3s;

bool is_slow_name(const char* host) {
  std::string name = host ? host : "";
  const std::string suffix = ".slow.test";
  return name.size() > suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

extern "C" int getaddrinfo(const char* host, const char* port, const addrinfo* hints,
                           addrinfo** found) {
  using Function = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
  static auto real = reinterpret_cast<Function>(dlsym(RTLD_NEXT, "getaddrinfo"));
  if (!is_slow_name(host)) return real(host, port, hints, found);
  std::this_thread::sleep_for(kSlowAnswer);
  return EAI_NONAME;
}

namespace {

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// A lookup that takes `delay` and answers `status`, counting its calls.
HostLookup slow_lookup(std::chrono::milliseconds delay, int status, std::atomic<int>& calls) {
  return [delay, status, &calls](const char*, const char*, const addrinfo*, addrinfo**) {
    ++calls;
    std::this_thread::sleep_for(delay);
    return status;
  };
}

}  // namespace

TEST(HostResolution, ALookupSlowerThanTheDeadlineIsGivenUpAtTheDeadline) {
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  IoDeadline deadline(stop);
  deadline.arm(100ms);
  auto start = Clock::now();
  HostAddresses found = resolve_host("a.example", "1935", deadline, slow_lookup(2s, 0, calls));
  EXPECT_TRUE(found.is_interrupted);
  EXPECT_GE(since(start), 100ms);
  EXPECT_LT(since(start), 500ms);
}

TEST(HostResolution, AStopRequestedDuringTheLookupEndsTheWait) {
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  IoDeadline deadline(stop);
  deadline.arm(10s);
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    stop = true;
  });
  auto start = Clock::now();
  HostAddresses found = resolve_host("a.example", "1935", deadline, slow_lookup(2s, 0, calls));
  stopper.join();
  EXPECT_TRUE(found.is_interrupted);
  EXPECT_LT(since(start), 500ms);
}

TEST(HostResolution, NoLookupStartsOnceAStopIsRequested) {
  std::atomic<bool> stop{true};
  std::atomic<int> calls{0};
  IoDeadline deadline(stop);
  deadline.arm(10s);
  EXPECT_TRUE(
      resolve_host("a.example", "1935", deadline, slow_lookup(0ms, 0, calls)).is_interrupted);
  EXPECT_EQ(calls, 0);
}

TEST(HostResolution, AFailedLookupPassesItsCodeOn) {
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  IoDeadline deadline(stop);
  deadline.arm(10s);
  HostAddresses found =
      resolve_host("a.example", "1935", deadline, slow_lookup(0ms, EAI_NONAME, calls));
  EXPECT_FALSE(found.is_interrupted);
  EXPECT_EQ(found.status, EAI_NONAME);
  EXPECT_EQ(found.list, nullptr);
}

TEST(HostResolution, AnAnswerInTimeGivesTheAddresses) {
  std::atomic<bool> stop{false};
  IoDeadline deadline(stop);
  deadline.arm(10s);
  HostAddresses found = resolve_host("127.0.0.1", "1935", deadline);
  ASSERT_EQ(found.status, 0);
  ASSERT_NE(found.list, nullptr);
  EXPECT_EQ(found.list->ai_family, AF_INET);
  EXPECT_EQ(found.list->ai_socktype, SOCK_STREAM);
}

TEST(HostResolution, TheRtmpClientGivesUpOnASlowResolverAtTheOpenDeadline) {
  std::atomic<bool> stop{false};
  IoDeadline deadline(stop);
  deadline.arm(200ms);
  RtmpClient client(deadline);
  auto start = Clock::now();
  int rc = client.open_for_publishing("rtmp://ingest.slow.test/live/key");
  EXPECT_EQ(rc, AVERROR_EXIT);
  EXPECT_LT(since(start), 1000ms) << "the lookup was waited for";
  EXPECT_NE(client.failure_reason().find("cannot resolve ingest.slow.test"), std::string::npos)
      << client.failure_reason();
}

TEST(HostResolution, TheRtmpClientGivesUpOnASlowResolverWhenTheLegStops) {
  std::atomic<bool> stop{false};
  IoDeadline deadline(stop);
  deadline.arm(10s);
  RtmpClient client(deadline);
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    stop = true;
  });
  auto start = Clock::now();
  int rc = client.open("rtmp://camera.slow.test/live/key");
  stopper.join();
  EXPECT_EQ(rc, AVERROR_EXIT);
  EXPECT_LT(since(start), 1000ms) << "the lookup was waited for";
}
