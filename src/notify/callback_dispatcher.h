#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "store/store.h"
#include "task/clock.h"

namespace streamrelay::notify {

struct DispatcherSettings {
  std::string signing_key;  // empty: no X-Relay-Signature
  // HTTPS receivers are verified against the system store, or this CA bundle when set; a
  // development switch turns verification off.
  std::string tls_ca_file;
  bool verifies_tls = true;
  // A receiver that does not answer within this time has failed the attempt.
  std::chrono::milliseconds timeout{5000};
  // Retries back off from the first delay, doubling, up to the longest.
  std::chrono::seconds first_retry{1};
  std::chrono::seconds longest_retry{600};
  // An event still undelivered this long after it happened is given up (logged as expired).
  std::chrono::hours give_up_after{25};
  // Events sent at once (each a different task).
  int batch = 32;
  std::chrono::milliseconds poll_interval{250};
};

// Delivers the outbox: POSTs each pending event to its callback URL (in parallel across tasks,
// in sequence within a task), signs it, and records the outcome; a 2xx acknowledges, anything
// else is retried with capped exponential backoff. Runs on its own thread, so a slow or dead
// receiver never holds up a relay or the API.
class CallbackDispatcher {
 public:
  CallbackDispatcher(store::Store& store, const task::Clock& clock, DispatcherSettings settings);
  ~CallbackDispatcher();

  void start();
  void stop();
  // New events are waiting: look now instead of at the next poll.
  void wake();

 private:
  struct Attempt;

  void run();
  // Sends one batch; returns how many events it handled.
  size_t deliver_batch();
  void record(const Attempt& attempt, int64_t now);

  store::Store& store_;
  const task::Clock& clock_;
  DispatcherSettings settings_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool has_work_ = false;
  bool stop_requested_ = false;
  std::thread thread_;
};

}  // namespace streamrelay::notify
