#include "server_config.h"

#include <CLI/CLI.hpp>
#include <charconv>

namespace streamrelay {

void add_serve_options(CLI::App& command, ServerConfig& config) {
  command.set_config("--config", "", "read these settings from a TOML/INI file (same names)");
  command.add_option("--listen", config.listen, "HTTP listen address host:port")
      ->capture_default_str();
  command.add_option("--data-dir", config.data_dir, "folder of the SQLite database")
      ->capture_default_str();
  command.add_option("--region", config.region, "region of tasks created without one")
      ->capture_default_str();
  command.add_option("--serve-region", config.served_regions,
                     "regions this deployment serves (repeatable; default: every region)");
  command.add_option("--credentials", config.credentials_file,
                     "credentials file (JSON); without one the API is open, on loopback only");
  command.add_option("--log-level", config.log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  command.add_option("--media-root", config.media_roots,
                     "folder that file:// sources may read from (repeatable)");
  command.add_option("--io-threads", config.io_threads, "HTTP threads")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  command.add_option("--stall-threshold-ms", config.stall_threshold_ms,
                     "a source or destination that moves no data this long is reconnected")
      ->check(CLI::Range(int64_t{200}, int64_t{60000}))
      ->capture_default_str();
  command.add_option("--open-timeout-ms", config.open_timeout_ms,
                     "limit for opening a source or connecting a destination")
      ->check(CLI::Range(int64_t{500}, int64_t{120000}))
      ->capture_default_str();
  command.add_option("--backoff-initial-ms", config.backoff_initial_ms, "first retry delay")
      ->check(CLI::Range(int64_t{10}, int64_t{60000}))
      ->capture_default_str();
  command.add_option("--backoff-max-ms", config.backoff_max_ms, "longest retry delay")
      ->check(CLI::Range(int64_t{100}, int64_t{600000}))
      ->capture_default_str();
  command.add_option("--stable-period-ms", config.stable_period_ms,
                     "a leg working this long has its retry delay reset")
      ->check(CLI::Range(int64_t{100}, int64_t{600000}))
      ->capture_default_str();
}

bool parse_listen_address(const std::string& text, ListenAddress& out) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = text.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string_view port_text(text.data() + colon + 1, text.size() - colon - 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) return false;
  if (host == "localhost") host = "127.0.0.1";
  out = {host, static_cast<uint16_t>(port)};
  return !host.empty();
}

bool is_loopback_host(const std::string& host) {
  return host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace streamrelay
