#include "control/relay_reports.h"

#include <spdlog/spdlog.h>

namespace streamrelay::control {
namespace {

task::RelayState relay_state_of(media::RelayPhase phase) {
  switch (phase) {
    case media::RelayPhase::starting:
      return task::RelayState::starting;
    case media::RelayPhase::flowing:
      return task::RelayState::flowing;
    case media::RelayPhase::failing:
      return task::RelayState::failing;
    case media::RelayPhase::finished:
      return task::RelayState::idle;
  }
  return task::RelayState::idle;
}

// The alarm name of the contract for a relay event, or nullptr when it is not an alarm.
const char* alarm_of(media::RelayEventKind kind) {
  switch (kind) {
    case media::RelayEventKind::source_interrupted:
      return "SourceInterrupted";
    case media::RelayEventKind::source_recovered:
      return "SourceRecovered";
    case media::RelayEventKind::source_unsupported:
      return "SourceUnsupported";
    case media::RelayEventKind::file_failed:
      return "SourceFileFailed";
    case media::RelayEventKind::push_failed:
      return "PushFailed";
    case media::RelayEventKind::destination_unsupported:
      return "DestinationUnsupported";
    case media::RelayEventKind::push_recovered:
      return "PushRecovered";
    case media::RelayEventKind::push_renewed:
      return "PushSessionRenewed";
    case media::RelayEventKind::failover_to_backup:
      return "FailoverToBackup";
    case media::RelayEventKind::failback_to_primary:
      return "FailbackToPrimary";
    case media::RelayEventKind::started:
    case media::RelayEventKind::file_started:
    case media::RelayEventKind::file_finished:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

std::optional<task::TaskEvent> task_event_of(const task::TaskSpec& spec,
                                             const media::RelayEvent& event,
                                             const std::string& source, int64_t now) {
  if (const char* alarm = alarm_of(event.kind)) {
    bool is_recovery = event.kind == media::RelayEventKind::source_recovered ||
                       event.kind == media::RelayEventKind::push_recovered;
    spdlog::log(is_recovery ? spdlog::level::info : spdlog::level::warn,
                "task_id={} event=alarm alarm={} url={} error=\"{}\"", spec.task_id, alarm,
                event.url, event.error);
    std::optional<task::FileRef> file;
    if (spec.is_vod() && !event.url.empty()) {
      file = task::FileRef{event.file_index, event.url, event.loop_round};
    }
    return task::alarm_event(spec, alarm, event.error, now, file);
  }
  switch (event.kind) {
    case media::RelayEventKind::started:
      spdlog::info("task_id={} event=task_start source={}", spec.task_id, source);
      return task::task_start_event(spec, source, now);
    case media::RelayEventKind::file_started:
      spdlog::info("task_id={} event=file_start file_index={} round={}", spec.task_id,
                   event.file_index, event.loop_round);
      return task::file_start_event(spec, event.file_index, event.url, event.loop_round, now);
    case media::RelayEventKind::file_finished:
      spdlog::info("task_id={} event=file_finish file_index={} round={} played_seconds={:.3f}",
                   spec.task_id, event.file_index, event.loop_round, event.played_seconds);
      return task::file_finish_event(spec, event.file_index, event.url, event.loop_round,
                                     event.played_seconds, now);
    default:
      return std::nullopt;
  }
}

void apply_snapshot(task::TaskRuntime& runtime, const media::RelaySnapshot& snapshot,
                    bool is_start_overdue, bool is_finished) {
  runtime.relay_state = relay_state_of(snapshot.phase);
  runtime.source = snapshot.source_role;
  runtime.source_url = snapshot.source_url;
  if (snapshot.started_at > 0) runtime.started_at = snapshot.started_at;
  runtime.last_error = snapshot.last_error;
  if (is_start_overdue) {
    // A task reads running while it starts; one that moves nothing for this long is not.
    runtime.relay_state = task::RelayState::failing;
    if (runtime.last_error.empty()) runtime.last_error = "nothing has flowed since the start";
  }
  runtime.bytes_in = snapshot.bytes_in;
  runtime.bytes_out = snapshot.bytes_out;
  runtime.bitrate_kbps = snapshot.bitrate_kbps;
  runtime.reconnects = snapshot.reconnects;
  if (snapshot.playhead.is_known && !is_finished) {
    runtime.source_url = snapshot.playhead.masked_url;  // what is on air, not what is read ahead
    runtime.file_index = snapshot.playhead.file_index;
    runtime.file_offset_seconds = static_cast<double>(snapshot.playhead.position_ms) / 1000.0;
    runtime.looped_times = snapshot.playhead.loop_round;
  }
}

}  // namespace streamrelay::control
