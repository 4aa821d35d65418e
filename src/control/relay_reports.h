#pragma once

#include <optional>
#include <string>

#include "media/relay/relay.h"
#include "media/relay/relay_events.h"
#include "task/task_event.h"
#include "task/task_spec.h"

namespace streamrelay::control {

// What a relay reports, in the contract's terms: its events as task events (alarms, task and file
// starts and finishes, each logged), its snapshot as the task's runtime report.

// The task event for a relay event (logged as it is made), or none for an event the contract
// has no callback for. `source`: what the relay plays, for a task start.
std::optional<task::TaskEvent> task_event_of(const task::TaskSpec& spec,
                                             const media::RelayEvent& event,
                                             const std::string& source, int64_t now);

// Writes a relay's snapshot into the task's runtime report. A start that is overdue (nothing has
// moved since the start grace) reads failing; a finished playlist keeps the position its finish
// recorded.
void apply_snapshot(task::TaskRuntime& runtime, const media::RelaySnapshot& snapshot,
                    bool is_start_overdue, bool is_finished);

}  // namespace streamrelay::control
