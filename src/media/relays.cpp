#include "media/relays.h"

#include "media/pipeline_relay.h"
#include "media/playlist_leg.h"
#include "media/pull_leg.h"
#include "media/sources/av/av_source.h"

namespace streamrelay::media {

std::unique_ptr<Relay> make_live_relay(LiveRelaySpec spec, RelayObserver* observer) {
  PipelineRelay::Spec relay{spec.task_id, spec.destination_url, spec.settings, false,
                            spec.sources.empty() ? "" : spec.sources.front().masked};
  auto sources = std::move(spec.sources);
  return std::make_unique<PipelineRelay>(
      std::move(relay), observer, [&](const LegContext& context, IoDeadline& deadline) {
        return std::make_unique<PullLeg>(
            context, std::make_unique<AvSource>(deadline, context.settings), sources);
      });
}

std::unique_ptr<Relay> make_playlist_relay(PlaylistRelaySpec spec, RelayObserver* observer) {
  PipelineRelay::Spec relay{spec.task_id, spec.destination_url, spec.settings, true, ""};
  // A file source waits for room in the queue, so the queue bounds its read-ahead (~3 s).
  relay.settings.queue = QueueLimits{.max_bytes = 8 * 1024 * 1024, .max_items = 200};
  return std::make_unique<PipelineRelay>(
      std::move(relay), observer, [&](const LegContext& context, IoDeadline& deadline) {
        return std::make_unique<PlaylistLeg>(context, deadline, spec);
      });
}

}  // namespace streamrelay::media
