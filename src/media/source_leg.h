#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "media/packet_queue.h"
#include "media/relay.h"
#include "media/relay_events.h"
#include "media/relay_status.h"

namespace streamrelay::media {

// What both legs of one relay share.
struct LegContext {
  std::string task_id;
  const RelaySettings& settings;
  PacketQueue& queue;
  RelayStatus& status;
  RelayObserver* observer;
  const std::atomic<bool>& stop_requested;
  // The status of the relay's output when this leg feeds it through another leg (failover);
  // the playhead lives there.
  RelayStatus* output = nullptr;

  RelayStatus& output_status() const { return output ? *output : status; }

  void report(const RelayEvent& event) const {
    if (observer) observer->on_relay_event(task_id, event);
  }
};

// The half of a relay that reads a source and fills the queue, on its own thread.
class SourceLeg {
 public:
  virtual ~SourceLeg() = default;
  // The thread body; returns when a stop is requested.
  virtual void run() = 0;
  // Wakes the leg from any wait (to stop or to take a change).
  virtual void wake() = 0;
  virtual void update_sources(const SourceUpdate& update) = 0;
  virtual void set_paused(bool is_paused) = 0;
  virtual void set_loop_limit(int64_t loop_limit) = 0;
};

}  // namespace streamrelay::media
