#pragma once

#include <memory>
#include <string>
#include <vector>

#include "media/relay.h"
#include "media/relay_events.h"

namespace streamrelay::media {

struct LiveRelaySpec {
  std::string task_id;
  std::vector<SourceUrl> sources;
  std::string destination_url;
  RelaySettings settings;
};

// PullLivePushLive: a live source forwarded as it arrives.
std::unique_ptr<Relay> make_live_relay(LiveRelaySpec spec, RelayObserver* observer);

struct PlaylistRelaySpec {
  std::string task_id;
  std::vector<SourceUrl> files;
  std::string destination_url;
  RelaySettings settings;
  int64_t loop_limit = -1;  // rounds; -1: until stopped
  int64_t start_index = 0;
  int64_t start_offset_ms = 0;
  int64_t start_round = 0;
  bool is_resumed = false;  // the start point is a breakpoint of an earlier run
  bool is_paused = false;
};

// PullVodPushLive: files played in order, paced to real time, as one live stream.
std::unique_ptr<Relay> make_playlist_relay(PlaylistRelaySpec spec, RelayObserver* observer);

}  // namespace streamrelay::media
