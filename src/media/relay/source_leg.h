#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "media/relay/packet_queue.h"
#include "media/relay/relay.h"
#include "media/relay/relay_events.h"
#include "media/relay/relay_status.h"

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

// The half of a relay that reads a source and fills the queue, as a fiber of an event loop (or
// on a worker thread when it is made of calls that block).
class SourceLeg {
 public:
  virtual ~SourceLeg() = default;
  // The leg's body; returns when a stop is requested.
  virtual void run() = 0;
  // False for a leg whose every step is a blocking FFmpeg call (a playlist of files): its body
  // runs on a worker thread instead of parking its loop's fibers behind it.
  virtual bool runs_on_loop() const { return true; }
  // Wakes the leg from any wait (to stop or to take a change).
  virtual void wake() = 0;
  virtual void update_sources(const SourceUpdate& update) = 0;
  virtual void set_paused(bool is_paused) = 0;
  virtual void set_loop_limit(int64_t loop_limit) = 0;
};

}  // namespace streamrelay::media
