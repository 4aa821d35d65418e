#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "media/backoff.h"
#include "media/packet_queue.h"
#include "media/relay.h"
#include "media/relay_events.h"
#include "media/relay_status.h"
#include "media/source.h"

namespace streamrelay::media {

// The source leg of a live relay: opens the source, pushes a segment marker and then its
// packets into the queue; on failure, end or stall, reopens with backoff. It never waits on the
// destination.
class PullLeg {
 public:
  struct Context {
    std::string task_id;
    const RelaySettings& settings;
    PacketQueue& queue;
    RelayStatus& status;
    RelayObserver* observer;
    const std::atomic<bool>& stop_requested;
  };

  PullLeg(Context context, std::unique_ptr<Source> source, std::vector<SourceUrl> urls);

  void run();
  // Switches to new source URLs: the current source is dropped and the first new one opened.
  void replace_urls(std::vector<SourceUrl> urls);
  // Wakes the leg from a backoff wait (to stop or switch).
  void wake();

 private:
  using Clock = std::chrono::steady_clock;

  void pump(const SourceUrl& url);
  void on_source_failure(const std::string& url, const std::string& error, bool is_unsupported);
  void wait_backoff();
  SourceUrl current_url();

  Context context_;
  std::unique_ptr<Source> source_;
  Backoff backoff_;
  uint64_t segment_counter_ = 0;
  bool is_interrupted_ = false;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<SourceUrl> urls_;
  size_t url_index_ = 0;
  std::atomic<bool> has_new_urls_{false};
};

}  // namespace streamrelay::media
