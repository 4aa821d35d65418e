#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "media/backoff.h"
#include "media/packet_queue.h"

namespace streamrelay::media {

// Limits and timings of one relay; the server's configuration fills them in.
struct RelaySettings {
  // A leg whose data stops moving this long is broken, even if its socket looks alive.
  std::chrono::milliseconds stall_threshold{2000};
  // Opening a source or connecting a destination gives up after this long.
  std::chrono::milliseconds open_timeout{5000};
  BackoffPolicy backoff;
  QueueLimits queue;
  // Probing a live source's tracks reads at most this much media before it starts relaying.
  std::chrono::milliseconds probe_duration{1000};
};

// A URL to pull, with the form that may be shown (credentials masked).
struct SourceUrl {
  std::string url;
  std::string masked;
};

// What a relay is doing, as it would describe itself to an operator.
enum class RelayPhase { starting, flowing, failing, finished };

struct RelaySnapshot {
  RelayPhase phase = RelayPhase::starting;
  std::string source_role = "primary";
  std::string source_url;  // masked
  int64_t started_at = 0;  // unix seconds of the first packet pushed, 0: none yet
  std::string last_error;
  int64_t bytes_in = 0;
  int64_t bytes_out = 0;
  int64_t bitrate_kbps = 0;
  int64_t reconnects = 0;
};

// One running relay task. Destroying it stops it and waits for its threads.
class Relay {
 public:
  virtual ~Relay() = default;
  virtual void start() = 0;
  // Asks the relay to stop; returns at once. The push ends within about a second.
  virtual void request_stop() = 0;
  virtual bool has_stopped() const = 0;
  // True when the relay ended by itself (an internal error); the supervisor starts it again.
  virtual bool has_failed() const = 0;
  virtual RelaySnapshot snapshot() = 0;
  // A live task's new source: the source leg reconnects, the destination session stays.
  virtual void replace_sources(const std::vector<SourceUrl>& urls) = 0;
};

}  // namespace streamrelay::media
