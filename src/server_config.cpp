#include "server_config.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>

namespace streamrelay {

void add_serve_options(CLI::App& command, ServerConfig& config) {
  command.add_option("--config", "settings file: lines of name = value, names as the flags");
  command.add_option("--listen", config.listen, "HTTP listen address host:port")
      ->capture_default_str();
  command.add_option("--data-dir", config.data_dir, "folder of the SQLite database")
      ->capture_default_str();
  command.add_option("--region", config.region, "region of tasks created without one")
      ->capture_default_str();
  command.add_option("--serve-region", config.served_regions,
                     "regions this deployment serves (repeatable; default: every region)");
  command.add_option("--database", config.database,
                     "PostgreSQL connection string shared by the nodes of a cluster (instead of "
                     "the SQLite file), e.g. \"host=db user=relay dbname=relay\"");
  command.add_option("--node-id", config.node_id,
                     "this node's name in a cluster, unique (default: hostname:port)");
  command.add_option("--capacity", config.capacity, "relays this node runs at most in a cluster")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();
  command
      .add_option("--lease-ttl-s", config.lease_ttl_s,
                  "a dead node's tasks are taken over by the others after this")
      ->check(CLI::Range(int64_t{8}, int64_t{600}))
      ->capture_default_str();
  command.add_option("--credentials", config.credentials_file,
                     "credentials file (JSON); without one the API is open, on loopback only");
  command.add_option("--log-level", config.log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  command.add_flag("--allow-private-egress", config.allows_private_egress,
                   "let sources, destinations and callbacks be on private networks");
  command.add_flag("--allow-loopback-egress", config.allows_loopback_egress,
                   "let sources, destinations and callbacks be on this host (development)");
  command.add_option("--tls-ca-file", config.tls_ca_file,
                     "CA certificates (PEM) trusted for rtmps/https sources, destinations and "
                     "callbacks besides the system store");
  command.add_flag("--tls-skip-verify", config.skips_tls_verify,
                   "do not verify TLS peers' certificates (development only)");
  command
      .add_option("--project-task-quota", config.project_task_quota,
                  "active tasks a project may have (0: no limit)")
      ->check(CLI::Range(int64_t{0}, int64_t{100000000}))
      ->capture_default_str();
  command
      .add_option("--rate-limit-rps", config.rate_limit_rps,
                  "API requests per second per credential, bursts of twice that (0: no limit)")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  command
      .add_option("--auth-failures-per-minute", config.auth_failures_per_minute,
                  "failed authentications a client address may make per minute (and at once) "
                  "before its requests are answered 429 (0: no limit)")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  command.add_option("--media-root", config.media_roots,
                     "folder that file:// sources may read from (repeatable)");
  command.add_option("--io-threads", config.io_threads, "HTTP threads")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  command
      .add_option("--media-threads", config.media_threads,
                  "event loops that run every relay (0: one per core)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  command
      .add_option(
          "--blocking-threads", config.blocking_threads,
          "worker threads for blocking FFmpeg calls (files, HLS, SRT, RTSP, rtmps), at most")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  command
      .add_option("--max-opening", config.max_opening,
                  "sources and destinations that may be opening at once (the rest wait their "
                  "turn; an open's time limit starts with it)")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  command
      .add_option("--relay-memory-mb", config.relay_memory_mb,
                  "memory all relays may hold in queues and caches; a relay that would start "
                  "beyond 90% of it is refused (0: half of the machine's memory)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30))
      ->capture_default_str();
  command
      .add_option("--http-read-timeout-s", config.http_read_timeout_s,
                  "a client must send a whole request (or its next one) within this time")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  command
      .add_option("--max-connections", config.max_connections,
                  "HTTP connections open at once; further ones are closed at once")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();
  command
      .add_option("--max-connections-per-client", config.max_connections_per_client,
                  "HTTP connections one client address may hold; further ones are closed at once")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();
  command
      .add_option("--max-pending-request-mb", config.max_pending_request_mb,
                  "request bodies being read, in all (MiB); beyond it requests are answered 503")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}))
      ->capture_default_str();
  command.add_option("--callback-signing-key", config.callback_signing_key,
                     "key of the X-Relay-Signature HMAC on callbacks (better in --config)");
  command
      .add_option("--callback-max-retry-s", config.callback_max_retry_s,
                  "longest wait between two attempts to deliver a callback")
      ->check(CLI::Range(int64_t{1}, int64_t{86400}))
      ->capture_default_str();
  command
      .add_option("--event-retention-h", config.event_retention_h,
                  "keep delivered (or expired, or unsubscribed) events and a deleted task's last "
                  "rows this many hours (fractions allowed)")
      ->check(CLI::Range(0.0003, 87600.0))
      ->capture_default_str();
  command
      .add_option("--event-retention-count", config.event_retention_count,
                  "keep at most this many of a task's events that no longer wait for delivery")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();
  command
      .add_option("--failback-window-ms", config.failback_window_ms,
                  "a primary must flow this long before the relay returns to it from the standby")
      ->check(CLI::Range(int64_t{0}, int64_t{600000}))
      ->capture_default_str();
  command
      .add_option("--slate-hold-s", config.slate_hold_s,
                  "with no source at all, keep the destination alive with a slate this long")
      ->check(CLI::Range(int64_t{0}, int64_t{86400}))
      ->capture_default_str();
  command
      .add_option("--output-start-ms", config.output_start_ms,
                  "start a relay's first push session's timestamps here instead of 0 (for "
                  "testing the renewal of sessions that near RTMP's 2^31 ms)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 31))
      ->capture_default_str();
  command
      .add_option("--spool-max-mb", config.spool_max_mb,
                  "largest local copy (in the data folder) of a playlist file that must be read "
                  "out of order from a server without range requests; larger ones are skipped")
      ->check(CLI::Range(int64_t{1}, int64_t{1048576}))
      ->capture_default_str();
  command
      .add_option("--stall-threshold-ms", config.stall_threshold_ms,
                  "a source or destination that moves no data this long is reconnected")
      ->check(CLI::Range(int64_t{200}, int64_t{60000}))
      ->capture_default_str();
  command
      .add_option("--open-timeout-ms", config.open_timeout_ms,
                  "limit for opening a source or connecting a destination")
      ->check(CLI::Range(int64_t{500}, int64_t{120000}))
      ->capture_default_str();
  command.add_option("--backoff-initial-ms", config.backoff_initial_ms, "first retry delay")
      ->check(CLI::Range(int64_t{10}, int64_t{60000}))
      ->capture_default_str();
  command.add_option("--backoff-max-ms", config.backoff_max_ms, "longest retry delay")
      ->check(CLI::Range(int64_t{100}, int64_t{600000}))
      ->capture_default_str();
  command
      .add_option("--stable-period-ms", config.stable_period_ms,
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

namespace streamrelay {
namespace {

std::string trim(std::string text) {
  text.erase(0, text.find_first_not_of(" \t\r"));
  text.erase(text.find_last_not_of(" \t\r") + 1);
  return text;
}

std::string unquote(std::string value) {
  value = trim(value);
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front()) {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> items;
  std::string inner = value.substr(1, value.size() - 2);
  size_t start = 0;
  while (start < inner.size()) {
    size_t comma = inner.find(',', start);
    if (comma == std::string::npos) comma = inner.size();
    std::string item = unquote(inner.substr(start, comma - start));
    if (!item.empty()) items.push_back(item);
    start = comma + 1;
  }
  return items;
}

}  // namespace

std::optional<ServerConfig> read_serve_config(const std::vector<std::string>& args,
                                              std::string& error) {
  std::vector<std::string> expanded = expand_config_file(args, error);
  if (!error.empty()) return std::nullopt;
  CLI::App app;
  ServerConfig config;
  add_serve_options(*app.add_subcommand("serve"), config);
  std::reverse(expanded.begin(), expanded.end());  // CLI11 takes the arguments in reverse order
  try {
    app.parse(expanded);
  } catch (const CLI::ParseError& parse_error) {
    error = parse_error.what();
    return std::nullopt;
  }
  return config;
}

std::vector<std::string> expand_config_file(const std::vector<std::string>& args,
                                            std::string& error) {
  std::vector<std::string> out;
  std::string path;
  std::set<std::string> given;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--config" && i + 1 < args.size()) {
      path = args[++i];
      continue;
    }
    if (arg.rfind("--config=", 0) == 0) {
      path = arg.substr(9);
      continue;
    }
    if (arg.rfind("--", 0) == 0) given.insert(arg.substr(2, arg.find('=') - 2));
    out.push_back(arg);
  }
  if (path.empty()) return out;
  std::ifstream file(path);
  if (!file) {
    error = "cannot read config file " + path;
    return {};
  }
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    line = trim(line.substr(0, line.find('#')));
    if (line.empty() || line == "[serve]") continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) {
      error = path + ":" + std::to_string(number) + ": expected name = value";
      return {};
    }
    std::string name = trim(line.substr(0, eq));
    std::replace(name.begin(), name.end(), '_', '-');
    if (given.count(name)) continue;
    std::string value = trim(line.substr(eq + 1));
    std::vector<std::string> values =
        value.size() >= 2 && value.front() == '[' && value.back() == ']'
            ? split_list(value)
            : std::vector<std::string>{unquote(value)};
    // One "--name=value" argument each: a flag takes its value only so ("allow-x = true").
    for (const std::string& item : values) out.push_back("--" + name + "=" + item);
  }
  return out;
}

}  // namespace streamrelay
