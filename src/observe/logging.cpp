#include "observe/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace streamrelay::observe {

bool setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("streamrelay");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
  spdlog::flush_on(spdlog::level::info);
  if (set_log_level(level)) return true;
  spdlog::set_level(spdlog::level::info);
  return false;
}

bool set_log_level(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  bool is_known = parsed != spdlog::level::off || level == "off";
  if (is_known) spdlog::set_level(parsed);
  return is_known;
}

}  // namespace streamrelay::observe
