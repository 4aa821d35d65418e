#pragma once

#include <string>

namespace streamrelay::media {

// Things a relay reports as they happen; control turns them into alarms and callbacks.
enum class RelayEventKind {
  started,             // first packet reached the destination
  source_interrupted,  // the source failed or stalled
  source_recovered,    // packets flow from the source again
  source_unsupported,  // the source's codecs cannot be relayed
  push_failed,         // the destination failed or stalled
  push_recovered,      // the destination accepts packets again
};

struct RelayEvent {
  RelayEventKind kind;
  std::string url;    // masked
  std::string error;  // empty for recoveries
};

class RelayObserver {
 public:
  virtual ~RelayObserver() = default;
  // Called on the relay's own threads; must not block.
  virtual void on_relay_event(const std::string& task_id, const RelayEvent& event) = 0;
};

}  // namespace streamrelay::media
