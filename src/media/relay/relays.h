#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "media/relay/relay.h"
#include "media/relay/relay_events.h"

namespace streamrelay::media {

// One side of a relay's input: a live source (URLs tried in order) or a playlist of files.
struct SourcePlan {
  bool is_live = true;
  std::vector<SourceUrl> urls;
  // Playlists only.
  int64_t loop_limit = -1;  // rounds; -1: until stopped
  int64_t start_index = 0;
  int64_t start_offset_ms = 0;
  int64_t start_round = 0;
  bool is_paused = false;
};

struct RelayPlan {
  std::string task_id;
  std::string destination_url;
  RelaySettings settings;
  SourcePlan primary;
  std::optional<SourcePlan> standby;
  // The primary must flow this long before the relay returns to it from the standby.
  std::chrono::milliseconds failback_window{5000};
};

// The relay for a plan: live sources are forwarded as they arrive, files are paced to real
// time, and a standby (hot, switched in on a stall) when the plan has one.
std::unique_ptr<Relay> make_relay(RelayPlan plan, RelayObserver* observer);

}  // namespace streamrelay::media
