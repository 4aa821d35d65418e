#include "control/relay_factory.h"

#include "media/relays.h"
#include "task/url_rules.h"

namespace streamrelay::control {

std::vector<media::SourceUrl> source_urls_of(const std::vector<std::string>& urls) {
  std::vector<media::SourceUrl> out;
  for (const std::string& url : urls) out.push_back({url, task::mask_url(url)});
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
  if (spec.source_type == task::SourceType::live) {
    return media::make_live_relay(
        {spec.task_id, source_urls_of(spec.source_urls), task::destination_of(spec), settings_},
        &observer);
  }
  PlaylistStart start = playlist_start_of(record);
  media::PlaylistRelaySpec playlist;
  playlist.task_id = spec.task_id;
  playlist.files = source_urls_of(spec.source_urls);
  playlist.destination_url = task::destination_of(spec);
  playlist.settings = settings_;
  playlist.loop_limit = spec.vod_loop_time;
  playlist.start_index = start.index;
  playlist.start_offset_ms = start.offset_ms;
  playlist.start_round = start.round;
  return media::make_playlist_relay(std::move(playlist), &observer);
}

}  // namespace streamrelay::control
