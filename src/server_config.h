#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace streamrelay {

// Every setting of `streamrelay serve`, with its default, in one place.
struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./data";
  std::string region = "local";
  std::vector<std::string> served_regions;  // empty: every region
  std::string credentials_file;
  std::string log_level = "info";
  std::vector<std::string> media_roots;
  bool allows_private_egress = false;
  bool allows_loopback_egress = false;
  // A CA (PEM) trusted besides the system store for rtmps and https peers and callbacks.
  std::string tls_ca_file;
  bool skips_tls_verify = false;  // development only
  int64_t project_task_quota = 1000;
  double rate_limit_rps = 100;
  // Failed authentications per client address per minute (and in a burst) before it gets 429s.
  double auth_failures_per_minute = 30;
  int io_threads = 2;
  // The data plane: event loops (0: one per core), worker threads for blocking FFmpeg calls at
  // most, and the memory relays may hold in queues and caches (0: half of the machine's).
  int media_threads = 0;
  int blocking_threads = 512;
  int max_opening = 128;
  int64_t relay_memory_mb = 0;
  int http_read_timeout_s = 30;
  int64_t max_connections = 1024;
  int64_t max_connections_per_client = 64;
  int64_t max_pending_request_mb = 16;
  int64_t stall_threshold_ms = 2000;
  int64_t open_timeout_ms = 5000;
  int64_t backoff_initial_ms = 250;
  int64_t backoff_max_ms = 10000;
  int64_t stable_period_ms = 10000;
  int64_t failback_window_ms = 5000;
  int64_t slate_hold_s = 60;
  // Largest local copy of a remote file that must seek on a server without range requests.
  int64_t spool_max_mb = 4096;
  int64_t output_start_ms = 0;       // testing long sessions: where push timelines start
  std::string callback_signing_key;  // empty: callbacks are not signed
  int64_t callback_max_retry_s = 600;
  // Events no longer waiting for delivery are kept this long, and at most this many per task.
  double event_retention_h = 72;
  int64_t event_retention_count = 1000;
  // Cluster mode: a PostgreSQL connection string shared by every node (empty: SQLite, one node).
  std::string database;
  std::string node_id;  // empty: hostname:port
  int64_t capacity = 1000;
  int64_t lease_ttl_s = 10;
};

// Declares the flags of `serve` on a CLI11 command (and --config, read by expand_config_file).
void add_serve_options(CLI::App& command, ServerConfig& config);

// Replaces `--config FILE` in the arguments by the settings of FILE as flags: lines of
// `name = value` (or `name = ["a", "b"]` for repeatable settings, `#` comments, an optional
// `[serve]` header). A flag given on the command line wins over the file. Empty string and an
// error message when the file cannot be read or parsed.
std::vector<std::string> expand_config_file(const std::vector<std::string>& args,
                                            std::string& error);

// The settings of `serve` read again from its arguments (the command line after the program's
// name, "serve" first), the --config file included; nullopt and `error` when they do not parse.
std::optional<ServerConfig> read_serve_config(const std::vector<std::string>& args,
                                              std::string& error);

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};

// "127.0.0.1:8080", "[::1]:8080", "localhost:8080"; false when malformed.
bool parse_listen_address(const std::string& text, ListenAddress& out);
bool is_loopback_host(const std::string& host);

}  // namespace streamrelay
