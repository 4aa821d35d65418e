#include "control/relay_factory.h"

#include "media/relay/relays.h"
#include "net/url_masking.h"
#include "task/url_rules.h"

namespace streamrelay::control {

std::vector<media::SourceUrl> source_urls_of(const std::vector<std::string>& urls) {
  std::vector<media::SourceUrl> out;
  for (const std::string& url : urls) out.push_back({url, net::mask_url(url)});
  return out;
}

media::RefreshMode refresh_mode_of(task::VodRefreshType type) {
  switch (type) {
    case task::VodRefreshType::immediate_new_source:
      return media::RefreshMode::immediate_new_source;
    case task::VodRefreshType::continue_from_file_start:
      return media::RefreshMode::continue_from_file_start;
    case task::VodRefreshType::continue_from_break_point:
      return media::RefreshMode::continue_from_break_point;
  }
  return media::RefreshMode::immediate_new_source;
}

PlaylistStart playlist_start_of(const task::TaskRecord& record) {
  const task::TaskSpec& spec = record.spec;
  const task::TaskRuntime& runtime = record.runtime;
  bool has_played = runtime.started_at > 0;
  bool has_rounds_left = spec.vod_loop_time < 0 || runtime.looped_times < spec.vod_loop_time;
  if (has_played && has_rounds_left &&
      runtime.file_index < static_cast<int64_t>(spec.source_urls.size())) {
    return {runtime.file_index, static_cast<int64_t>(runtime.file_offset_seconds * 1000),
            runtime.looped_times};
  }
  return {spec.vod_start_video_index, spec.vod_start_video_time * 1000, 0};
}

std::unique_ptr<media::Relay> MediaRelayFactory::make_relay(const task::TaskRecord& record,
                                                            media::RelayObserver& observer) {
  const task::TaskSpec& spec = record.spec;
  media::RelayPlan plan;
  plan.task_id = spec.task_id;
  plan.destination_url = task::destination_of(spec);
  plan.settings = settings_;
  plan.failback_window = failback_window_;
  plan.primary.is_live = spec.source_type == task::SourceType::live;
  plan.primary.urls = source_urls_of(spec.source_urls);
  if (spec.is_vod()) {
    PlaylistStart start = playlist_start_of(record);
    plan.primary.loop_limit = spec.vod_loop_time;
    plan.primary.start_index = start.index;
    plan.primary.start_offset_ms = start.offset_ms;
    plan.primary.start_round = start.round;
  }
  if (!spec.backup_source_urls.empty()) {
    media::SourcePlan standby;
    standby.is_live = spec.backup_source_type.value_or(spec.source_type) == task::SourceType::live;
    standby.urls = source_urls_of(spec.backup_source_urls);
    plan.standby = std::move(standby);
  }
  return media::make_relay(std::move(plan), &observer);
}

}  // namespace streamrelay::control
