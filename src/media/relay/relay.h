#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "media/access_policy.h"
#include "media/relay/backoff.h"
#include "media/relay/packet_queue.h"

namespace streamrelay::media {

// Limits and timings of one relay; the server's configuration fills them in.
struct RelaySettings {
  // A leg whose data stops moving this long is broken, even if its socket looks alive.
  std::chrono::milliseconds stall_threshold{2000};
  // Opening a source or connecting a destination gives up after this long.
  std::chrono::milliseconds open_timeout{5000};
  BackoffPolicy backoff;
  QueueLimits queue;
  // Probing a live source's tracks reads at most this much media before it starts relaying (a
  // live source announces its codecs up front; every probed millisecond delays the start).
  std::chrono::milliseconds probe_duration{300};
  // Files are released at most this far ahead of real time...
  std::chrono::milliseconds pacing_lead{500};
  // Thread wake-ups were most of a relay's CPU, so live legs that have caught up wait a little
  // and then handle what gathered meanwhile: the source after a read that had to wait for the
  // network, the destination after emptying its queue. Each adds at most that much delay.
  std::chrono::milliseconds live_read_batch{80};
  std::chrono::milliseconds live_write_batch{20};
  // ...and when they fall further behind than this, the pacing clock moves on instead of
  // bursting.
  std::chrono::milliseconds pacing_max_lag{300};
  // With no source at all, a slate keeps the destination session alive this long (0: never).
  std::chrono::milliseconds slate_hold{60000};
  // Folders file sources may read (checked again on the real path when a file is opened).
  std::vector<std::string> media_roots;
  TlsSettings tls;
  // Where a relay's first push session's output timeline starts (ms): 0, but for testing long
  // sessions; the sessions after it (renewals, reconnects) start at 0, as they do in real use.
  int64_t output_start_ms = 0;
  // Local copies of remote files that must seek on servers that cannot: where, and how large
  // one may be (a file over it is skipped with an alarm).
  std::string spool_folder = "./data/spool";
  int64_t spool_max_bytes = int64_t{4} * 1024 * 1024 * 1024;
};

// How a playlist takes a new list of files (the contract's vod_refresh_type).
enum class RefreshMode {
  immediate_new_source,
  continue_from_file_start,
  continue_from_break_point
};

// A URL to pull, with the form that may be shown (credentials masked).
struct SourceUrl {
  std::string url;
  std::string masked;
};

// What a relay is doing, as it would describe itself to an operator.
enum class RelayPhase { starting, flowing, failing, finished };

// What a playlist has pushed so far: the file and the position in it.
struct Playhead {
  int64_t file_index = 0;
  int64_t loop_round = 0;
  int64_t position_ms = 0;
  std::string url;  // as given
  std::string masked_url;
  bool is_known = false;
};

// A new source list for a running relay.
struct SourceUpdate {
  std::vector<SourceUrl> urls;
  RefreshMode mode = RefreshMode::immediate_new_source;
  int64_t start_index = 0;
  int64_t start_offset_ms = 0;
};

struct RelaySnapshot {
  RelayPhase phase = RelayPhase::starting;
  Playhead playhead;
  std::string source_role = "primary";
  std::string source_url;  // masked
  int64_t started_at = 0;  // unix seconds of the first packet pushed, 0: none yet
  std::string last_error;
  int64_t bytes_in = 0;
  int64_t bytes_out = 0;
  int64_t bitrate_kbps = 0;
  int64_t reconnects = 0;
};

// One running relay task. Destroying it stops it and waits for its legs to end.
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
  // New sources: a live relay reconnects its source leg, a playlist follows `update.mode`; the
  // destination session stays either way.
  virtual void update_sources(const SourceUpdate& update) = 0;
  // A paused relay keeps its destination session and stops reading; resuming continues from
  // where the output stopped.
  virtual void set_paused(bool is_paused) = 0;
  // A playlist's number of rounds (-1: forever).
  virtual void set_loop_limit(int64_t loop_limit) = 0;
};

}  // namespace streamrelay::media
