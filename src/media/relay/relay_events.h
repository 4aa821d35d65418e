#pragma once

#include <string>

namespace streamrelay::media {

// Things a relay reports as they happen; control turns them into alarms and callbacks.
enum class RelayEventKind {
  started,                  // first packet reached the destination
  source_interrupted,       // the source failed or stalled
  source_recovered,         // packets flow from the source again
  source_unsupported,       // the source's codecs cannot be relayed
  file_failed,              // a playlist file could not be played (HTTP status, reason)
  push_failed,              // the destination failed or stalled
  destination_unsupported,  // the destination does not take a track's codec
  push_recovered,           // the destination accepts packets again
  push_renewed,             // a new publish session began before the timestamps would wrap
  failover_to_backup,       // the standby went on air
  failback_to_primary,      // the primary went back on air
  file_started,             // a playlist file's first packet reached the destination
  file_finished,            // a playlist file's last packet reached the destination
};

struct RelayEvent {
  RelayEventKind kind;
  std::string url;    // masked
  std::string error;  // empty for recoveries
  int64_t file_index = 0;
  int64_t loop_round = 0;
  double played_seconds = 0;
};

class RelayObserver {
 public:
  virtual ~RelayObserver() = default;
  // Called on the event loop that runs the relay (or a worker thread); must not block.
  virtual void on_relay_event(const std::string& task_id, const RelayEvent& event) = 0;
};

}  // namespace streamrelay::media
