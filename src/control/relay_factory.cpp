#include "control/relay_factory.h"

#include <spdlog/spdlog.h>

#include "media/live_relay.h"
#include "task/url_rules.h"

namespace streamrelay::control {

std::vector<media::SourceUrl> source_urls_of(const task::TaskSpec& spec) {
  std::vector<media::SourceUrl> urls;
  for (const std::string& url : spec.source_urls) urls.push_back({url, task::mask_url(url)});
  return urls;
}

std::unique_ptr<media::Relay> MediaRelayFactory::make_relay(const task::TaskSpec& spec,
                                                            media::RelayObserver& observer) {
  if (spec.source_type != task::SourceType::live) {
    spdlog::warn("task_id={} event=relay_not_supported source_type={}", spec.task_id,
                 task::to_string(spec.source_type));
    return nullptr;
  }
  media::LiveRelaySpec relay_spec{spec.task_id, source_urls_of(spec), task::destination_of(spec),
                                  settings_};
  return std::make_unique<media::LiveRelay>(std::move(relay_spec), &observer);
}

}  // namespace streamrelay::control
