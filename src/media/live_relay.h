#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "media/io_deadline.h"
#include "media/packet_queue.h"
#include "media/pull_leg.h"
#include "media/push_leg.h"
#include "media/relay.h"
#include "media/relay_events.h"
#include "media/relay_status.h"

namespace streamrelay::media {

struct LiveRelaySpec {
  std::string task_id;
  std::vector<SourceUrl> sources;
  std::string destination_url;
  RelaySettings settings;
};

// A PullLivePushLive relay: a source leg and a destination leg on their own threads, joined by
// a bounded queue, so a reconnect on one side never restarts the other.
class LiveRelay final : public Relay {
 public:
  LiveRelay(LiveRelaySpec spec, RelayObserver* observer);
  ~LiveRelay() override;

  void start() override;
  void request_stop() override;
  bool has_stopped() const override { return threads_done_ == 2; }
  bool has_failed() const override { return threads_done_ > 0 && !stop_requested_; }
  RelaySnapshot snapshot() override { return status_.snapshot(); }
  void replace_sources(const std::vector<SourceUrl>& urls) override;

 private:
  void run_guarded(const char* leg, void (LiveRelay::*body)());
  void run_pull();
  void run_push();

  LiveRelaySpec spec_;
  RelayObserver* observer_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<int> threads_done_{0};
  PacketQueue queue_;
  RelayStatus status_;
  IoDeadline pull_deadline_;
  IoDeadline push_deadline_;
  std::unique_ptr<PullLeg> pull_;
  std::unique_ptr<PushLeg> push_;
  std::thread pull_thread_;
  std::thread push_thread_;
};

}  // namespace streamrelay::media
