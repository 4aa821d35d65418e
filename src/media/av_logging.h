#pragma once

#include <string>

namespace streamrelay::media {

// Sends FFmpeg's own messages into the service log as `event=ffmpeg` lines at debug level (our
// code reports every failure that matters itself; FFmpeg's text is detail for diagnosis).
void route_ffmpeg_logs();

// Names the task the calling thread works for, so FFmpeg's lines from it carry its task_id.
void set_thread_task_id(const std::string& task_id);

}  // namespace streamrelay::media
