#include <utility>

#include "server.h"

#include <spdlog/spdlog.h>

#include <curl/curl.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "api/auth/credentials.h"
#include "api/http_server.h"
#include "api/ops_endpoints.h"
#include "api/router.h"
#include "app/task_service.h"
#include "control/relay_factory.h"
#include "control/supervisor.h"
#include "media/access_policy.h"
#include "media/av_logging.h"
#include "media/file_spool.h"
#include "media/runtime/event_loops.h"
#include "media/runtime/memory_budget.h"
#include "media/runtime/open_slots.h"
#include "net/egress_policy.h"
#include "notify/callback_dispatcher.h"
#include "observe/logging.h"
#include "observe/metrics.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/timed_store.h"

namespace streamrelay {

namespace api {
// The web console's files (generated at build time).
extern const Asset kConsoleAssets[];
extern const size_t kConsoleAssetCount;
}  // namespace api

namespace {

media::RelaySettings relay_settings_of(const ServerConfig& config,
                                       const std::string& tls_ca_bundle) {
  media::RelaySettings settings;
  settings.stall_threshold = std::chrono::milliseconds(config.stall_threshold_ms);
  settings.open_timeout = std::chrono::milliseconds(config.open_timeout_ms);
  settings.backoff.initial = std::chrono::milliseconds(config.backoff_initial_ms);
  settings.backoff.max = std::chrono::milliseconds(config.backoff_max_ms);
  settings.backoff.stable_period = std::chrono::milliseconds(config.stable_period_ms);
  settings.media_roots = config.media_roots;
  settings.tls.verifies_peers = !config.skips_tls_verify;
  settings.tls.ca_file = tls_ca_bundle;
  settings.slate_hold = std::chrono::seconds(config.slate_hold_s);
  settings.spool_folder = (std::filesystem::path(config.data_dir) / "spool").string();
  settings.spool_max_bytes = config.spool_max_mb * 1024 * 1024;
  settings.output_start_ms = config.output_start_ms;
  return settings;
}

// Debian's store of the CAs every TLS peer is verified against by default.
constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

// The CA bundle for --tls-ca-file: the system store and the given CAs in one file in the data
// folder (libavformat's TLS takes a single file, which replaces the system store); "" without
// --tls-ca-file; nullopt when it cannot be written.
void configure_data_plane(const ServerConfig& config) {
  media::runtime::EventLoops::configure(config.media_threads);
  media::runtime::WorkerPool::configure(config.blocking_threads);
  media::runtime::OpenSlots::configure(config.max_opening);
  int64_t budget = config.relay_memory_mb * 1024 * 1024;
  if (budget == 0) {
    budget = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE) / 2;
  }
  media::runtime::MemoryBudget::shared().set_limit(budget);
  spdlog::info("event=data_plane loops={} blocking_threads_max={} relay_memory_mb={}",
               media::runtime::EventLoops::shared().size(), config.blocking_threads,
               budget / 1024 / 1024);
}

std::optional<std::string> write_tls_ca_bundle(const ServerConfig& config) {
  if (config.tls_ca_file.empty()) return "";
  std::ifstream extra(config.tls_ca_file);
  if (!extra) {
    spdlog::critical("event=startup_refused error=\"cannot read --tls-ca-file {}\"",
                     config.tls_ca_file);
    return std::nullopt;
  }
  std::error_code ignored;
  std::filesystem::create_directories(config.data_dir, ignored);
  std::string path = (std::filesystem::path(config.data_dir) / "tls-ca-bundle.pem").string();
  std::ofstream bundle(path, std::ios::trunc);
  std::ifstream system(kSystemCaBundle);
  if (system) bundle << system.rdbuf() << "\n";
  bundle << extra.rdbuf() << "\n";
  if (!bundle) {
    spdlog::critical("event=startup_refused error=\"cannot write {}\"", path);
    return std::nullopt;
  }
  return path;
}

// A file source's real location (symlinks resolved) must be inside a media root too.
std::optional<std::string> check_real_media_path(const std::string& path,
                                                 const std::vector<std::string>& roots) {
  media::MediaPathCheck check = media::check_media_path(path, roots);
  if (check.is_inside) return std::nullopt;
  return check.reason;
}

// `refusal` names the event logged when the credentials cannot be used: "startup_refused", or
// "reload_refused" (the ones in force stay).
std::unique_ptr<api::Authenticator> make_authenticator(const ServerConfig& config,
                                                       const ListenAddress& address,
                                                       const task::Clock& clock,
                                                       const char* refusal = "startup_refused") {
  if (config.credentials_file.empty()) {
    if (!is_loopback_host(address.host)) {
      spdlog::critical(
          "event={} reason=\"no credentials configured: the API may only listen on "
          "loopback without them; pass --credentials\"",
          refusal);
      return nullptr;
    }
    spdlog::warn(
        "event=auth_disabled note=\"NO CREDENTIALS CONFIGURED: the API is OPEN to anyone "
        "who can reach {} (loopback only)\"",
        config.listen);
    return std::make_unique<api::OpenAuthenticator>();
  }
  auto credentials = api::load_credentials(config.credentials_file);
  if (!credentials) {
    spdlog::critical("event={} error=\"{}\"", refusal, credentials.error().message);
    return nullptr;
  }
  spdlog::info("event=auth_enabled tokens={} access_keys={}", credentials->tokens.size(),
               credentials->access_keys.size());
  return std::make_unique<api::CredentialAuthenticator>(std::move(*credentials), clock);
}

// Applies what a reload may change: the credentials (replaced whole; a file that cannot be read
// leaves the ones in force), the log level and the egress settings. Relays are not touched.
void reload(const ConfigReader& reread, const ListenAddress& address, const task::Clock& clock,
            api::ReloadableAuthenticator& authenticator, app::TaskService& service) {
  if (!reread) return;
  std::string error;
  std::optional<ServerConfig> fresh = reread(error);
  if (!fresh) {
    spdlog::error("event=reload_refused error=\"{}\" note=\"the settings in force stay\"", error);
    return;
  }
  bool has_credentials = false;
  if (auto next = make_authenticator(*fresh, address, clock, "reload_refused")) {
    authenticator.replace(std::move(next));
    has_credentials = true;
  }
  bool has_log_level = observe::set_log_level(fresh->log_level);
  if (!has_log_level) {
    spdlog::error("event=reload_refused error=\"unknown log level {}\"", fresh->log_level);
  }
  net::EgressPolicy egress{fresh->allows_private_egress, fresh->allows_loopback_egress};
  net::set_process_egress_policy(egress);
  service.set_egress(egress);
  spdlog::warn(
      "event=reloaded credentials={} log_level={} egress_private={} egress_loopback={} "
      "note=\"other settings take effect on a restart\"",
      has_credentials ? "replaced" : "kept", has_log_level ? fresh->log_level : "kept",
      egress.allows_private, egress.allows_loopback);
}

}  // namespace

int run_server(const ServerConfig& config, ConfigReader reread) {
  ListenAddress address;
  if (!parse_listen_address(config.listen, address)) {
    spdlog::critical("event=startup_refused error=\"--listen must be host:port, got {}\"",
                     config.listen);
    return 2;
  }
  media::route_ffmpeg_logs();
  configure_data_plane(config);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  task::SystemClock clock;
  std::shared_ptr<api::Authenticator> first_authenticator =
      make_authenticator(config, address, clock);
  if (!first_authenticator) return 2;
  auto authenticator = std::make_unique<api::ReloadableAuthenticator>(first_authenticator);

  std::string node_id = config.node_id;
  if (node_id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    node_id = std::string(host) + ":" + std::to_string(address.port);
  }
  std::unique_ptr<store::Store> store_owner;
  std::string store_name;
  try {
    if (!config.database.empty()) {
      store_name = "postgres";
      store_owner = std::make_unique<store::PostgresStore>(config.database, node_id);
    } else {
      std::error_code fs_error;
      std::filesystem::create_directories(config.data_dir, fs_error);
      store_name = (std::filesystem::path(config.data_dir) / "streamrelay.db").string();
      store_owner = std::make_unique<store::SqliteStore>(store_name);
    }
  } catch (const std::exception& error) {
    spdlog::critical("event=startup_refused error=\"store {}: {}\"", store_name, error.what());
    return 1;
  }
  store::TimedStore store(*store_owner);
  store::Retention retention{std::max<int64_t>(1, std::llround(config.event_retention_h * 3600)),
                             config.event_retention_count};
  store.set_retention(retention);

  net::EgressPolicy egress{config.allows_private_egress, config.allows_loopback_egress};
  net::set_process_egress_policy(egress);
  if (egress.allows_loopback || egress.allows_private) {
    spdlog::warn(
        "event=egress_open loopback={} private={} note=\"sources, destinations and "
        "callbacks may reach this host or private networks: a development setting\"",
        egress.allows_loopback, egress.allows_private);
  }
  if (config.skips_tls_verify) {
    spdlog::warn(
        "event=tls_verification_off note=\"TLS PEERS ARE NOT VERIFIED (--tls-skip-verify): "
        "anyone on the path can read stream keys and take over rtmps/https connections\"");
  }
  auto tls_ca_bundle = write_tls_ca_bundle(config);
  if (!tls_ca_bundle) return 2;
  task::MediaRoots media_roots{config.media_roots, [roots = config.media_roots](const auto& path) {
                                 return check_real_media_path(path, roots);
                               }};
  app::TaskServiceSettings service_settings{config.region, config.served_regions, media_roots,
                                            egress, config.project_task_quota};
  app::TaskService service(store, clock, service_settings);
  media::RelaySettings relay_settings = relay_settings_of(config, *tls_ca_bundle);
  media::FileSpool(relay_settings.spool_folder, 0, {}).remove_leftovers();
  control::MediaRelayFactory factory(relay_settings,
                                     std::chrono::milliseconds(config.failback_window_ms));
  control::SupervisorSettings supervisor_settings;
  supervisor_settings.node = {node_id, config.served_regions, config.capacity};
  supervisor_settings.lease_ttl = std::chrono::seconds(config.lease_ttl_s);
  supervisor_settings.start_grace =
      std::chrono::milliseconds(config.open_timeout_ms + config.stall_threshold_ms);
  // A tenth of the retention between passes, within a second and a minute.
  supervisor_settings.retention_interval =
      std::chrono::milliseconds(std::clamp<int64_t>(retention.seconds * 100, 1000, 60000));
  control::Supervisor supervisor(store, clock, factory, supervisor_settings);
  service.set_listener(&supervisor);
  api::RateLimiter limiter(config.rate_limit_rps, config.rate_limit_rps * 2);
  api::RateLimiter auth_failures(config.auth_failures_per_minute / 60,
                                 config.auth_failures_per_minute);
  api::Router router(service, *authenticator, &limiter, &auth_failures);
  std::atomic<bool> is_stopping{false};
  // What keeps the node from serving ("" when ready): /readyz and the streamrelay_ready gauge.
  auto readiness_problem = [&]() -> std::string {
    if (is_stopping) return "shutting down";
    try {
      store.schema_version();
    } catch (const std::exception& error) {
      return std::string("store unreachable: ") + error.what();
    }
    return "";
  };
  api::OpsEndpoints ops(readiness_problem, api::kConsoleAssets, api::kConsoleAssetCount);

  boost::asio::io_context io;
  api::HttpLimits limits;
  limits.read_timeout = std::chrono::seconds(config.http_read_timeout_s);
  limits.max_connections = static_cast<size_t>(config.max_connections);
  limits.max_connections_per_client = static_cast<size_t>(config.max_connections_per_client);
  limits.max_pending_request_bytes = static_cast<size_t>(config.max_pending_request_mb) << 20;
  // PostgreSQL answers over the network: a page is three round trips an HTTP thread would wait out.
  if (store.is_shared()) limits.reading_threads = store::PostgresStore::kMaxReaders;
  std::unique_ptr<api::HttpServer> http_owner;
  try {
    http_owner = std::make_unique<api::HttpServer>(
        io, address.host, address.port,
        [&router, &ops](const api::HttpRequest& request) {
          if (auto answer = ops.handle(request)) return *answer;
          return router.handle(request);
        },
        limits);
  } catch (const std::exception& error) {
    spdlog::critical("event=startup_refused error=\"cannot listen on {}: {}\"", config.listen,
                     error.what());
    return 1;
  }
  api::HttpServer& http = *http_owner;
  notify::DispatcherSettings dispatcher_settings;
  dispatcher_settings.signing_key = config.callback_signing_key;
  dispatcher_settings.tls_ca_file = *tls_ca_bundle;
  dispatcher_settings.verifies_tls = !config.skips_tls_verify;
  dispatcher_settings.longest_retry = std::chrono::seconds(config.callback_max_retry_s);
  notify::CallbackDispatcher dispatcher(store, clock, dispatcher_settings);
  observe::metrics().add_gauges([&supervisor, &store, &readiness_problem] {
    std::vector<observe::GaugeSample> samples;
    samples.push_back({"streamrelay_ready",
                       "1 when the node serves (its store answers), 0 when not",
                       {},
                       readiness_problem().empty() ? 1.0 : 0.0});
    for (const auto& [status, count] : supervisor.status_counts()) {
      samples.push_back({"streamrelay_tasks",
                         "tasks by status",
                         {{"status", status}},
                         static_cast<double>(count)});
    }
    samples.push_back({"streamrelay_tasks_known",
                       "tasks read from the store (a node starting on a big store counts up)",
                       {},
                       static_cast<double>(supervisor.known_tasks())});
    samples.push_back({"streamrelay_relays_running",
                       "relays this node runs",
                       {},
                       static_cast<double>(supervisor.running_relays())});
    if (store.is_shared()) {
      samples.push_back({"streamrelay_leased_tasks",
                         "tasks this node holds a lease on",
                         {},
                         static_cast<double>(supervisor.leased_tasks())});
    }
    try {
      samples.push_back({"streamrelay_callback_backlog",
                         "callback events waiting for delivery",
                         {},
                         static_cast<double>(store.pending_event_count())});
    } catch (const std::exception&) {
      // the store is down: the backlog is unknown, the latency histogram shows why
    }
    return samples;
  });
  supervisor.start();
  dispatcher.start();
  http.start();
  spdlog::info("event=listening address={}:{} store={} region={}", address.host, http.port(),
               store_name, config.region);
  if (store.is_shared()) {
    spdlog::info("event=cluster_node node={} capacity={} lease_ttl_s={}", node_id, config.capacity,
                 config.lease_ttl_s);
  }

  // SIGHUP: what can change while relays run is read again; what cannot be read stays as it is.
  boost::asio::signal_set hangups(io, SIGHUP);
  std::function<void()> await_hangup = [&] {
    hangups.async_wait([&](const boost::system::error_code& error, int) {
      if (error) return;
      reload(reread, address, clock, *authenticator, service);
      await_hangup();
    });
  };
  await_hangup();
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signal) {
    spdlog::info("event=shutdown signal={}", signal);
    is_stopping = true;
    hangups.cancel();
    http.stop();
    io.stop();
  });
  std::vector<std::thread> threads;
  for (int i = 1; i < config.io_threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& thread : threads) thread.join();
  supervisor.stop();
  dispatcher.stop();
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace streamrelay
