#include "media/relay/relays.h"

#include "media/relay/failover_leg.h"
#include "media/relay/pipeline_relay.h"
#include "media/relay/playlist_leg.h"
#include "media/relay/pull_leg.h"
#include "media/sources/url_source.h"

namespace streamrelay::media {
namespace {

// A file source waits for room in its queue, so the queue bounds its read-ahead (about 3 s).
constexpr QueueLimits kFileQueue{.max_bytes = 8 * 1024 * 1024, .max_items = 200};

std::unique_ptr<SourceLeg> make_leg(const SourcePlan& plan, const LegContext& context,
                                    IoDeadline& deadline) {
  if (plan.is_live) {
    return std::make_unique<PullLeg>(
        context, std::make_unique<UrlSource>(deadline, context.settings), plan.urls);
  }
  return std::make_unique<PlaylistLeg>(context, deadline, plan);
}

}  // namespace

std::unique_ptr<Relay> make_relay(RelayPlan plan, RelayObserver* observer) {
  bool has_files = !plan.primary.is_live || (plan.standby && !plan.standby->is_live);
  std::string first_url = plan.primary.urls.empty() ? "" : plan.primary.urls.front().masked;
  PipelineRelay::Spec relay{plan.task_id, plan.destination_url, plan.settings, has_files,
                            plan.primary.is_live ? first_url : ""};
  if (has_files) relay.settings.queue = kFileQueue;
  relay.has_standby = plan.standby.has_value();
  return std::make_unique<PipelineRelay>(
      std::move(relay), observer,
      [plan = std::move(plan)](const LegContext& context,
                               IoDeadline& deadline) -> std::unique_ptr<SourceLeg> {
        if (!plan.standby) return make_leg(plan.primary, context, deadline);
        auto feed_of = [](const SourcePlan& side) {
          FailoverLeg::FeedSpec feed;
          feed.is_live = side.is_live;
          feed.queue = side.is_live ? QueueLimits{} : kFileQueue;
          feed.make_leg = [side](const LegContext& feed_context, IoDeadline& feed_deadline) {
            return make_leg(side, feed_context, feed_deadline);
          };
          return feed;
        };
        return std::make_unique<FailoverLeg>(context, feed_of(plan.primary), feed_of(*plan.standby),
                                             plan.failback_window);
      });
}

}  // namespace streamrelay::media
