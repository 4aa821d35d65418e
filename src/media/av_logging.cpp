#include "media/av_logging.h"

#include <spdlog/spdlog.h>

#include <cstdarg>
#include <string>

#include "media/av_handles.h"
#include "net/url_masking.h"

extern "C" {
#include <libavutil/log.h>
}

namespace streamrelay::media {
namespace {

thread_local std::string thread_task_id;
thread_local std::string thread_last_error;  // the first since it was last taken

// The message alone, without the "[tls @ 0x...] " prefix.
std::string message_of(void* context, int level, const char* format, va_list args) {
  char line[1024];
  int print_prefix = 0;
  av_log_format_line2(context, level, format, args, line, sizeof line, &print_prefix);
  std::string text = net::mask_urls_in(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

void on_ffmpeg_log(void* context, int level, const char* format, va_list args) {
  if (level > AV_LOG_INFO) return;
  if (level <= AV_LOG_ERROR) {
    va_list copy;
    va_copy(copy, args);
    std::string message = message_of(context, level, format, copy);
    va_end(copy);
    // The first error of an operation names the cause ("Peer certificate failed
    // verification"), the ones after it the consequences ("Cannot open connection").
    if (thread_last_error.empty()) thread_last_error = std::move(message);
  }
  auto spd_level = level <= AV_LOG_WARNING ? spdlog::level::debug : spdlog::level::trace;
  if (!spdlog::should_log(spd_level)) return;
  char line[1024];
  int print_prefix = 1;
  av_log_format_line2(context, level, format, args, line, sizeof line, &print_prefix);
  std::string text = net::mask_urls_in(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return;
  if (thread_task_id.empty()) {
    spdlog::log(spd_level, "event=ffmpeg message=\"{}\"", text);
  } else {
    spdlog::log(spd_level, "task_id={} event=ffmpeg message=\"{}\"", thread_task_id, text);
  }
}

}  // namespace

std::string describe_av_error(int code) {
  std::string text = av_error_text(code);
  std::string detail;
  detail.swap(thread_last_error);
  if (!detail.empty() && detail != text) text += " (" + detail + ")";
  return text;
}

void forget_ffmpeg_errors() {
  thread_last_error.clear();
}

void set_thread_task_id(const std::string& task_id) {
  thread_task_id = task_id;
}

void route_ffmpeg_logs() {
  av_log_set_level(AV_LOG_INFO);
  av_log_set_callback(on_ffmpeg_log);
}

}  // namespace streamrelay::media
