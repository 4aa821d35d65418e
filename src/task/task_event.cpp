#include "task/task_event.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "net/url_masking.h"
#include "task/destination.h"
#include "task/time_format.h"
#include "task/url_rules.h"
#include "task/uuid.h"
#include "task/validation.h"

namespace streamrelay::task {

using nlohmann::json;

namespace {

TaskEvent make_event(const TaskSpec& spec, std::string_view type, const json& data, int64_t now) {
  TaskEvent event;
  event.event_id = new_uuid();
  event.task_id = spec.task_id;
  event.project_id = spec.project_id;
  event.source_type = spec.source_type;
  event.event_type = std::string(type);
  event.timestamp = now;
  event.data = data.dump();
  if (!spec.callback_url.empty() && is_subscribed(spec, type)) {
    event.callback_url = with_default_scheme(spec.callback_url);
  }
  return event;
}

json masked_list(const std::vector<std::string>& urls) {
  json list = json::array();
  for (const std::string& url : urls) list.push_back(net::mask_url(url));
  return list;
}

json field_value(const TaskSpec& spec, const std::string& field) {
  if (field == "status") return spec.is_paused ? "pause" : "enable";
  if (field == "source_urls") return masked_list(spec.source_urls);
  if (field == "start_time") return format_utc(spec.start_time);
  if (field == "end_time") return format_utc(spec.end_time);
  if (field == "vod_loop_time") return std::to_string(spec.vod_loop_time);
  if (field == "vod_refresh_type") return to_string(spec.vod_refresh_type);
  if (field == "vod_start_video_index") return spec.vod_start_video_index;
  if (field == "vod_start_video_time") return spec.vod_start_video_time;
  if (field == "backup_source_type") {
    return spec.backup_source_type ? json(to_string(*spec.backup_source_type)) : json("");
  }
  if (field == "backup_source_urls") return masked_list(spec.backup_source_urls);
  if (field == "callback_events") return spec.callback_events;
  if (field == "callback_url") return net::mask_url(spec.callback_url);
  return nullptr;
}

}  // namespace

bool is_subscribed(const TaskSpec& spec, std::string_view event_type) {
  bool is_vod_only = event_type == "VodSourceFileStart" || event_type == "VodSourceFileFinish" ||
                     event_type == "ResetTaskConfig";
  if (is_vod_only && !spec.is_vod()) return false;
  if (spec.callback_events.empty()) return true;
  return std::find(spec.callback_events.begin(), spec.callback_events.end(), event_type) !=
         spec.callback_events.end();
}

TaskEvent task_start_event(const TaskSpec& spec, const std::string& masked_source, int64_t now) {
  json data = {{"source_url", masked_source}, {"destination", net::mask_url(destination_of(spec))}};
  return make_event(spec, "TaskStart", data, now);
}

TaskEvent task_exit_event(const TaskSpec& spec, std::string_view reason, const std::string& error,
                          int64_t now) {
  return make_event(spec, "TaskExit", {{"reason", reason}, {"error", error}}, now);
}

TaskEvent file_start_event(const TaskSpec& spec, int64_t file_index, const std::string& masked_url,
                           int64_t loop_round, int64_t now) {
  json data = {{"file_index", file_index}, {"file_url", masked_url}, {"loop_round", loop_round}};
  return make_event(spec, "VodSourceFileStart", data, now);
}

TaskEvent file_finish_event(const TaskSpec& spec, int64_t file_index, const std::string& masked_url,
                            int64_t loop_round, double played_seconds, int64_t now) {
  json data = {{"file_index", file_index},
               {"file_url", masked_url},
               {"loop_round", loop_round},
               {"played_seconds", std::round(played_seconds * 1000) / 1000}};
  return make_event(spec, "VodSourceFileFinish", data, now);
}

TaskEvent alarm_event(const TaskSpec& spec, std::string_view alarm, const std::string& error,
                      int64_t now, const std::optional<FileRef>& file) {
  json data = {{"alarm", alarm}, {"error", error}};
  if (file) {
    data["file_index"] = file->index;
    data["file_url"] = file->masked_url;
    data["loop_round"] = file->loop_round;
  }
  return make_event(spec, "TaskAlarm", data, now);
}

TaskEvent reset_config_event(const TaskSpec& before, const TaskSpec& after, int64_t now) {
  json changed = json::object();
  for (const std::string& field : changed_fields(before, after)) {
    changed[field] = field_value(after, field);
  }
  json data = {{"changed", changed}, {"vod_refresh_type", to_string(after.vod_refresh_type)}};
  return make_event(after, "ResetTaskConfig", data, now);
}

std::string event_body(const TaskEvent& event) {
  json body = {{"event_id", event.event_id},
               {"event_type", event.event_type},
               {"task_id", event.task_id},
               {"project_id", event.project_id},
               {"source_type", to_string(event.source_type)},
               {"sequence", event.sequence},
               {"timestamp", format_utc(event.timestamp)},
               {"data", json::parse(event.data, nullptr, false)}};
  return body.dump();
}

}  // namespace streamrelay::task
