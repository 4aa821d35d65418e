#include "support/relay_server.h"

#include <signal.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace streamrelay::test_support {

RelayServer::RelayServer(std::string folder, std::vector<std::string> extra_args,
                         bool allows_loopback)
    : folder_(std::move(folder)),
      extra_args_(std::move(extra_args)),
      allows_loopback_(allows_loopback),
      port_(free_port()) {
  std::filesystem::create_directories(folder_);
  start();
}

RelayServer::~RelayServer() {
  process_.stop(SIGTERM, std::chrono::seconds(10));
}

void RelayServer::start() {
  std::vector<std::string> argv = {STREAMRELAY_BINARY, "serve",
                                   "--listen",         "127.0.0.1:" + std::to_string(port_),
                                   "--data-dir",       folder_ + "/data"};
  // A settings file says its own level (or the service's default).
  auto has = [&](const char* flag) {
    return std::find(extra_args_.begin(), extra_args_.end(), flag) != extra_args_.end();
  };
  bool has_log_level = has("--log-level") || has("--config");
  if (!has_log_level) argv.insert(argv.end(), {"--log-level", "debug"});
  if (allows_loopback_) argv.push_back("--allow-loopback-egress");
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = Process(argv, folder_ + "/server.log");
  bool is_up = eventually(
      [this] {
        HttpClient probe;
        return probe.request("GET", base_url() + "/healthz", "", {}, std::chrono::milliseconds(500))
                   .status == 200;
      },
      // A store of a million tasks takes about 20 s to load on a 2-core machine.
      std::chrono::seconds(90));
  if (!is_up) throw std::runtime_error("streamrelay did not start: " + log());
}

void RelayServer::kill9() {
  process_.stop(SIGKILL, std::chrono::seconds(5));
}

int RelayServer::terminate() {
  process_.signal(SIGTERM);
  return process_.wait(std::chrono::seconds(15));
}

std::string RelayServer::tasks_url(const std::string& project) const {
  return base_url() + "/v1/" + project + "/pull/stream/task";
}

std::string RelayServer::log() const {
  return read_file(folder_ + "/server.log");
}

HttpReply RelayServer::call(const std::string& method, const std::string& path_and_query,
                            const nlohmann::json& body) {
  return client_.request(method, base_url() + path_and_query, body.is_null() ? "" : body.dump());
}

std::string RelayServer::create_task(const nlohmann::json& body, const std::string& project) {
  HttpReply reply = client_.request("POST", tasks_url(project), body.dump());
  if (reply.status != 200) throw std::runtime_error("create refused: " + reply.body);
  return reply.json().value("task_id", "");
}

nlohmann::json RelayServer::task_info(const std::string& task_id, const std::string& project) {
  HttpReply reply = client_.request("GET", tasks_url(project) + "?task_id=" + task_id);
  auto doc = reply.json();
  if (reply.status != 200 || !doc.contains("task_infos") || doc["task_infos"].empty()) {
    return nlohmann::json::object();
  }
  return doc["task_infos"][0];
}

bool RelayServer::wait_for_status(const std::string& task_id, const std::string& status,
                                  std::chrono::milliseconds timeout) {
  return eventually([&] { return status_of(task_id) == status; }, timeout);
}

bool RelayServer::wait_for_flow(const std::string& task_id, std::chrono::milliseconds timeout) {
  return eventually(
      [&] {
        nlohmann::json info = task_info(task_id);
        return info.value("status", "") == "running" &&
               info["runtime"].value("bitrate_kbps", int64_t{0}) > 0;
      },
      timeout);
}

std::vector<nlohmann::json> RelayServer::events(const std::string& task_id) {
  std::vector<nlohmann::json> out;
  sqlite3* db = nullptr;
  std::string path = folder_ + "/data/streamrelay.db";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return out;
  }
  sqlite3_busy_timeout(db, 2000);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT event_type, sequence, data, state FROM events WHERE task_id = ? "
                     "ORDER BY sequence",
                     -1, &stmt, nullptr);
  sqlite3_bind_text(stmt, 1, task_id.c_str(), -1, SQLITE_TRANSIENT);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out.push_back({{"event_type", reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))},
                   {"sequence", sqlite3_column_int64(stmt, 1)},
                   {"data", nlohmann::json::parse(
                                reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2)))},
                   {"state", reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3))}});
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

std::unique_ptr<RelayServer> server_with_media_root(const std::string& folder,
                                                    const std::string& media,
                                                    std::vector<std::string> extra_args) {
  std::filesystem::create_directories(media);
  extra_args.insert(extra_args.begin(), {"--media-root", media});
  return std::make_unique<RelayServer>(folder, extra_args);
}

nlohmann::json live_task(const std::string& source, const std::string& destination) {
  return {{"source_type", "PullLivePushLive"},
          {"source_urls", {source}},
          {"destination_url", destination}};
}

}  // namespace streamrelay::test_support
