#include "media/host_resolution.h"

#include "media/runtime/event_loops.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

namespace streamrelay::media {
namespace {

// How often a wait for the resolver looks at the stop flag and the deadline.
constexpr std::chrono::milliseconds kPollSlice{20};

// Shared by the waiter and the lookup thread, so whichever finishes last frees it.
struct PendingLookup {
  std::mutex mutex;
  runtime::WakeSignal answered;
  bool has_answer = false;
  int status = 0;
  addrinfo* found = nullptr;

  ~PendingLookup() {
    if (found) freeaddrinfo(found);
  }
};

HostAddresses interrupted() {
  HostAddresses result;
  result.is_interrupted = true;
  return result;
}

HostAddresses failed(int status) {
  HostAddresses result;
  result.status = status;
  return result;
}

}  // namespace

HostAddresses resolve_host(const std::string& host, const std::string& port,
                           const IoDeadline& deadline, const HostLookup& lookup) {
  if (deadline.is_interrupted()) return interrupted();
  using Lookup = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
  const Lookup* plain = lookup.target<Lookup>();
  in6_addr literal{};
  bool is_literal = ::inet_pton(AF_INET, host.c_str(), &literal) == 1 ||
                    ::inet_pton(AF_INET6, host.c_str(), &literal) == 1;
  if (is_literal && plain && *plain == &::getaddrinfo) {
    // An address literal needs no lookup, and so no thread.
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) == 0) {
      HostAddresses result;
      result.list.reset(found);
      return result;
    }
  }
  auto pending = std::make_shared<PendingLookup>();
  try {
    std::thread([pending, host, port, lookup] {
      addrinfo hints{};
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* found = nullptr;
      int status = lookup(host.c_str(), port.c_str(), &hints, &found);
      std::lock_guard lock(pending->mutex);
      pending->status = status;
      pending->found = found;
      pending->has_answer = true;
      pending->answered.notify_all();
    }).detach();
  } catch (const std::system_error&) {
    return failed(EAI_AGAIN);  // no thread to be had: a temporary failure
  }
  std::unique_lock lock(pending->mutex);
  while (!pending->answered.wait_for(lock, kPollSlice, [&] { return pending->has_answer; })) {
    if (deadline.is_interrupted()) return interrupted();
  }
  if (pending->status != 0 || !pending->found)
    return failed(pending->status ? pending->status : EAI_NONAME);
  HostAddresses result;
  result.list.reset(std::exchange(pending->found, nullptr));
  return result;
}

}  // namespace streamrelay::media
