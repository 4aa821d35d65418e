#pragma once

#include <string>

namespace streamrelay::media {

// Sends FFmpeg's own messages into the service log as `event=ffmpeg` lines at debug level (our
// code reports every failure that matters itself; FFmpeg's text is detail for diagnosis).
void route_ffmpeg_logs();

// FFmpeg's text for `code`, with the first error message FFmpeg logged on this thread since the
// operation began (e.g. why a TLS peer was refused, behind a bare "Input/output error").
std::string describe_av_error(int code);
// Marks the beginning of an operation: earlier messages are not its cause.
void forget_ffmpeg_errors();

// Names the task the calling thread works for, so FFmpeg's lines from it carry its task_id.
void set_thread_task_id(const std::string& task_id);

}  // namespace streamrelay::media
