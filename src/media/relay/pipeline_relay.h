#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "media/io_deadline.h"
#include "media/relay/packet_queue.h"
#include "media/relay/push_leg.h"
#include "media/relay/relay.h"
#include "media/relay/relay_events.h"
#include "media/relay/relay_status.h"
#include "media/relay/source_leg.h"
#include "media/runtime/fiber.h"

namespace streamrelay::media {

// A relay as two legs, fibers of one event loop, joined by a bounded queue: a source leg (live or
// playlist) and the destination leg, so a reconnect on one side never restarts the other.
class PipelineRelay final : public Relay {
 public:
  using SourceLegFactory =
      std::function<std::unique_ptr<SourceLeg>(const LegContext& context, IoDeadline& deadline)>;

  struct Spec {
    std::string task_id;
    std::string destination_url;
    RelaySettings settings;
    bool is_paced = false;       // files are paced to real time, live is forwarded as it arrives
    std::string initial_source;  // masked, shown before the source leg reports
    bool has_standby = false;
  };

  PipelineRelay(Spec spec, RelayObserver* observer, const SourceLegFactory& make_source_leg);
  ~PipelineRelay() override;

  void start() override;
  void request_stop() override;
  bool has_stopped() const override { return legs_done_ == 2; }
  bool has_failed() const override { return legs_done_ > 0 && !stop_requested_; }
  RelaySnapshot snapshot() override { return status_.snapshot(); }
  void update_sources(const SourceUpdate& update) override { source_->update_sources(update); }
  void set_paused(bool is_paused) override { source_->set_paused(is_paused); }
  void set_loop_limit(int64_t loop_limit) override { source_->set_loop_limit(loop_limit); }

 private:
  void run_guarded(const char* leg, const std::function<void()>& body);

  Spec spec_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<int> legs_done_{0};
  PacketQueue queue_;
  RelayStatus status_;
  IoDeadline pull_deadline_;
  IoDeadline push_deadline_;
  LegContext context_;
  std::unique_ptr<SourceLeg> source_;
  std::unique_ptr<PushLeg> push_;
  std::shared_ptr<runtime::Fiber> source_fiber_;
  std::shared_ptr<runtime::Fiber> push_fiber_;
};

}  // namespace streamrelay::media
