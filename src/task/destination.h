#pragma once

#include <string>

#include "task/task_spec.h"

namespace streamrelay::task {

// Identifies a push target in a canonical form, e.g. "rtmp://host:1935/app/stream": scheme and
// host in lower case, the default port written out, escapes of unreserved characters decoded,
// empty path segments removed, the arguments after the stream name left out. Two active tasks
// of one project may not share one.
std::string destination_key(const TaskSpec& spec);

}  // namespace streamrelay::task
