#pragma once

#include <string>

#include "task/task_spec.h"

namespace streamrelay::task {

// Identifies a push target regardless of query arguments and letter case of scheme and host,
// e.g. "rtmp://host:1935/app/stream"; two active tasks may not share one.
std::string destination_key(const TaskSpec& spec);

// The destination for logs and events: URL secrets masked, and the stream key (the last path
// segment, which ingest services treat as a password) cut to its first characters.
std::string masked_destination(const std::string& url);

}  // namespace streamrelay::task
