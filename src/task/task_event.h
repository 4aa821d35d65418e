#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "task/task_spec.h"

namespace streamrelay::task {

// One callback event of the contract, as stored in the outbox.
struct TaskEvent {
  std::string event_id;
  std::string task_id;
  std::string project_id;
  SourceType source_type = SourceType::live;
  std::string event_type;  // TaskStart, TaskExit, VodSourceFileStart, ...
  int64_t timestamp = 0;   // unix seconds
  std::string data;        // the JSON object of the event's `data`
  // Where it goes (scheme filled in); empty when the task has no callback URL or does not
  // subscribe to this event type: then it is kept for the record only.
  std::string callback_url;
  int64_t sequence = 0;  // per task, assigned by the store
};

// Does the task want callbacks of this type? (Empty list: all; Vod* and ResetTaskConfig only
// ever for VOD tasks.)
bool is_subscribed(const TaskSpec& spec, std::string_view event_type);

TaskEvent task_start_event(const TaskSpec& spec, const std::string& masked_source, int64_t now);
// reason: EndTimeReached, LoopFinished, Deleted, Paused, Failed.
TaskEvent task_exit_event(const TaskSpec& spec, std::string_view reason, const std::string& error,
                          int64_t now);
TaskEvent file_start_event(const TaskSpec& spec, int64_t file_index, const std::string& masked_url,
                           int64_t loop_round, int64_t now);
TaskEvent file_finish_event(const TaskSpec& spec, int64_t file_index, const std::string& masked_url,
                            int64_t loop_round, double played_seconds, int64_t now);
// alarm: SourceInterrupted, SourceRecovered, FailoverToBackup, FailbackToPrimary, PushFailed,
// PushRecovered, SourceUnsupported; and beyond the contract SourceFileFailed, PushSessionRenewed,
// DestinationUnsupported.
// The playlist file an event is about.
struct FileRef {
  int64_t index = 0;
  std::string masked_url;
  int64_t loop_round = 0;
};

// `file`, when given, adds file_index, file_url and loop_round to the alarm's data.
TaskEvent alarm_event(const TaskSpec& spec, std::string_view alarm, const std::string& error,
                      int64_t now, const std::optional<FileRef>& file = std::nullopt);
// The fields a modify changed (with their new values) and the refresh type applied.
TaskEvent reset_config_event(const TaskSpec& before, const TaskSpec& after, int64_t now);

// The whole callback body of the contract for a stored event.
std::string event_body(const TaskEvent& event);

}  // namespace streamrelay::task
