#pragma once

#include <memory>

#include "media/relay.h"
#include "media/relay_events.h"
#include "task/task_spec.h"

namespace streamrelay::control {

// Makes the relay that runs a task; a test hands the supervisor its own.
class RelayFactory {
 public:
  virtual ~RelayFactory() = default;
  // nullptr when this kind of task cannot run here.
  virtual std::unique_ptr<media::Relay> make_relay(const task::TaskSpec& spec,
                                                   media::RelayObserver& observer) = 0;
};

// The sources of a spec as the data plane takes them.
std::vector<media::SourceUrl> source_urls_of(const task::TaskSpec& spec);

// The real data plane.
class MediaRelayFactory final : public RelayFactory {
 public:
  explicit MediaRelayFactory(media::RelaySettings settings) : settings_(settings) {}
  std::unique_ptr<media::Relay> make_relay(const task::TaskSpec& spec,
                                           media::RelayObserver& observer) override;

 private:
  media::RelaySettings settings_;
};

}  // namespace streamrelay::control
