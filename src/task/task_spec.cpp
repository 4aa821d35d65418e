#include "task/task_spec.h"

#include <algorithm>

namespace streamrelay::task {

std::string_view to_string(SourceType type) {
  return type == SourceType::live ? "PullLivePushLive" : "PullVodPushLive";
}

std::optional<SourceType> parse_source_type(std::string_view text) {
  if (text == "PullLivePushLive") return SourceType::live;
  if (text == "PullVodPushLive") return SourceType::vod;
  return std::nullopt;
}

std::string_view to_string(VodRefreshType type) {
  switch (type) {
    case VodRefreshType::immediate_new_source:
      return "immediate_new_source";
    case VodRefreshType::continue_from_file_start:
      return "continue_from_file_start";
    case VodRefreshType::continue_from_break_point:
      return "continue_from_break_point";
  }
  return "immediate_new_source";
}

std::optional<VodRefreshType> parse_vod_refresh_type(std::string_view text) {
  for (auto type : {VodRefreshType::immediate_new_source, VodRefreshType::continue_from_file_start,
                    VodRefreshType::continue_from_break_point}) {
    if (text == to_string(type)) return type;
  }
  return std::nullopt;
}

bool is_callback_event(std::string_view name) {
  return std::find(std::begin(kCallbackEvents), std::end(kCallbackEvents), name) !=
         std::end(kCallbackEvents);
}

std::string destination_of(const TaskSpec& spec) {
  std::string url = spec.destination_url;
  if (url.empty()) url = "rtmp://" + spec.domain + "/" + spec.app_name + "/" + spec.stream_name;
  if (!spec.push_args.empty()) {
    url += url.find('?') == std::string::npos ? "?" : "&";
    url += spec.push_args;
  }
  return url;
}

std::string_view to_string(FinishReason reason) {
  switch (reason) {
    case FinishReason::none:
      return "";
    case FinishReason::end_time_reached:
      return "EndTimeReached";
    case FinishReason::loop_finished:
      return "LoopFinished";
  }
  return "";
}

FinishReason parse_finish_reason(std::string_view text) {
  if (text == "EndTimeReached") return FinishReason::end_time_reached;
  if (text == "LoopFinished") return FinishReason::loop_finished;
  return FinishReason::none;
}

std::string_view to_string(RelayState state) {
  switch (state) {
    case RelayState::idle:
      return "idle";
    case RelayState::starting:
      return "starting";
    case RelayState::flowing:
      return "flowing";
    case RelayState::failing:
      return "failing";
  }
  return "idle";
}

RelayState parse_relay_state(std::string_view text) {
  if (text == "starting") return RelayState::starting;
  if (text == "flowing") return RelayState::flowing;
  if (text == "failing") return RelayState::failing;
  return RelayState::idle;
}

std::string_view to_string(TaskStatus status) {
  switch (status) {
    case TaskStatus::waiting:
      return "waiting";
    case TaskStatus::running:
      return "running";
    case TaskStatus::abnormal:
      return "abnormal";
    case TaskStatus::paused:
      return "paused";
    case TaskStatus::finished:
      return "finished";
  }
  return "waiting";
}

bool should_run(const TaskRecord& record, int64_t now) {
  const TaskSpec& spec = record.spec;
  return !record.is_deleted && !spec.is_paused && record.finish_reason == FinishReason::none &&
         spec.start_time <= now && now < spec.end_time;
}

TaskStatus derive_status(const TaskRecord& record, int64_t now) {
  if (record.finish_reason != FinishReason::none || now >= record.spec.end_time) {
    return TaskStatus::finished;
  }
  if (record.spec.is_paused) return TaskStatus::paused;
  if (now < record.spec.start_time) return TaskStatus::waiting;
  switch (record.runtime.relay_state) {
    case RelayState::flowing:
      return TaskStatus::running;
    case RelayState::failing:
      return TaskStatus::abnormal;
    case RelayState::idle:
    case RelayState::starting:
      // Inside its window and being started: waiting only ever means "start_time not reached".
      // A start that fails (nothing opens or flows within the open timeout) reads abnormal.
      return TaskStatus::running;
  }
  return TaskStatus::running;
}

}  // namespace streamrelay::task
