#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamrelay::task {

enum class SourceType { live, vod };
enum class VodRefreshType {
  immediate_new_source,
  continue_from_file_start,
  continue_from_break_point
};

std::string_view to_string(SourceType type);
std::optional<SourceType> parse_source_type(std::string_view text);
std::string_view to_string(VodRefreshType type);
std::optional<VodRefreshType> parse_vod_refresh_type(std::string_view text);

// The callback event names of the contract.
inline constexpr std::string_view kCallbackEvents[] = {"TaskStart",          "TaskExit",
                                                       "VodSourceFileStart", "VodSourceFileFinish",
                                                       "ResetTaskConfig",    "TaskAlarm"};
bool is_callback_event(std::string_view name);

// A task as the API wrote it: every create field with its defaults filled in.
struct TaskSpec {
  std::string task_id;
  std::string project_id;
  std::string region;
  SourceType source_type = SourceType::live;
  std::vector<std::string> source_urls;
  std::string domain;
  std::string app_name;
  std::string stream_name;
  std::string push_args;
  std::string destination_url;
  int64_t start_time = 0;  // unix seconds
  int64_t end_time = 0;    // unix seconds
  // VOD only.
  int64_t vod_loop_time = -1;  // -1: until end_time
  VodRefreshType vod_refresh_type = VodRefreshType::immediate_new_source;
  int64_t vod_start_video_index = 0;
  int64_t vod_start_video_time = 0;
  std::optional<SourceType> backup_source_type;
  std::vector<std::string> backup_source_urls;
  std::vector<std::string> callback_events;  // empty: all
  std::string callback_url;
  bool is_paused = false;
  int64_t create_time = 0;  // unix seconds

  bool is_vod() const { return source_type == SourceType::vod; }
};

// Where a push goes: destination_url, else rtmp://domain/app/stream, plus ?push_args.
std::string destination_of(const TaskSpec& spec);

// Why a task stopped for good (until its end_time moves later).
enum class FinishReason { none, end_time_reached, loop_finished };
std::string_view to_string(FinishReason reason);
FinishReason parse_finish_reason(std::string_view text);

// What the relay last reported about itself.
enum class RelayState { idle, starting, flowing, failing };
std::string_view to_string(RelayState state);
RelayState parse_relay_state(std::string_view text);

struct TaskRuntime {
  RelayState relay_state = RelayState::idle;
  std::string source = "primary";
  std::string source_url;
  int64_t file_index = 0;
  double file_offset_seconds = 0;
  int64_t looped_times = 0;
  int64_t started_at = 0;  // unix seconds, 0: never
  std::string last_error;
  int64_t bytes_in = 0;
  int64_t bytes_out = 0;
  int64_t bitrate_kbps = 0;
  int64_t reconnects = 0;
  int64_t updated_at = 0;  // unix seconds, 0: never
};

// A stored task: the spec, its lifecycle and its runtime.
struct TaskRecord {
  TaskSpec spec;
  int64_t seq = 0;       // creation order
  int64_t revision = 0;  // bumped by every spec or lifecycle change
  bool is_deleted = false;
  FinishReason finish_reason = FinishReason::none;
  TaskRuntime runtime;
};

enum class TaskStatus { waiting, running, abnormal, paused, finished };
std::string_view to_string(TaskStatus status);

// The status a client sees, derived from the spec, the lifecycle and the relay's report.
TaskStatus derive_status(const TaskRecord& record, int64_t now);

// Should a relay run for this task at `now`?
bool should_run(const TaskRecord& record, int64_t now);

}  // namespace streamrelay::task
