#pragma once

#include <chrono>
#include <memory>

#include "media/relay/relay.h"
#include "media/relay/relay_events.h"
#include "task/task_spec.h"

namespace streamrelay::control {

// Makes the relay that runs a task; a test hands the supervisor its own.
class RelayFactory {
 public:
  virtual ~RelayFactory() = default;
  // A relay for the task, starting a playlist at its breakpoint when it has one.
  virtual std::unique_ptr<media::Relay> make_relay(const task::TaskRecord& record,
                                                   media::RelayObserver& observer) = 0;
};

// The sources of a spec as the data plane takes them.
std::vector<media::SourceUrl> source_urls_of(const std::vector<std::string>& urls);
media::RefreshMode refresh_mode_of(task::VodRefreshType type);
// Where a playlist starts: its breakpoint if it played before (and has rounds left), else the
// spec's vod_start_video_index / vod_start_video_time.
struct PlaylistStart {
  int64_t index = 0;
  int64_t offset_ms = 0;
  int64_t round = 0;
};
PlaylistStart playlist_start_of(const task::TaskRecord& record);

// The real data plane.
class MediaRelayFactory final : public RelayFactory {
 public:
  MediaRelayFactory(media::RelaySettings settings, std::chrono::milliseconds failback_window)
      : settings_(std::move(settings)), failback_window_(failback_window) {}
  std::unique_ptr<media::Relay> make_relay(const task::TaskRecord& record,
                                           media::RelayObserver& observer) override;

 private:
  media::RelaySettings settings_;
  std::chrono::milliseconds failback_window_;
};

}  // namespace streamrelay::control
