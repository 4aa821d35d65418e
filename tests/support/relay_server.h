#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/process.h"

namespace streamrelay::test_support {

// The streamrelay binary serving on a free loopback port with its data in `folder`.
class RelayServer {
 public:
  // Every peer of the tests is on loopback, so loopback egress is allowed unless a test says not.
  RelayServer(std::string folder, std::vector<std::string> extra_args = {},
              bool allows_loopback = true);
  ~RelayServer();

  void start();
  void kill9();
  // SIGTERM; the exit code.
  int terminate();

  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string tasks_url(const std::string& project = "p1") const;
  std::string log() const;

  HttpReply call(const std::string& method, const std::string& path_and_query,
                 const nlohmann::json& body = nullptr);
  // Creates a task and returns its id (the test fails if the API refuses).
  std::string create_task(const nlohmann::json& body, const std::string& project = "p1");
  nlohmann::json task_info(const std::string& task_id, const std::string& project = "p1");
  std::string status_of(const std::string& task_id) {
    return task_info(task_id).value("status", "");
  }
  // The task's events as stored in the outbox (type, sequence, data), oldest first.
  std::vector<nlohmann::json> events(const std::string& task_id);
  // Waits until the task reads running and its relay moves media (a relay being started reads
  // running too, before anything flows).
  bool wait_for_flow(const std::string& task_id, std::chrono::milliseconds timeout);
  // Waits until the task reports `status`.
  bool wait_for_status(const std::string& task_id, const std::string& status,
                       std::chrono::milliseconds timeout);

 private:
  std::string folder_;
  std::vector<std::string> extra_args_;
  bool allows_loopback_;
  int port_;
  Process process_;
  HttpClient client_;
};

// A live relay task body from one URL to another.
nlohmann::json live_task(const std::string& source, const std::string& destination);

// A relay server in `folder` whose file:// sources may be read from `media` (made here).
std::unique_ptr<RelayServer> server_with_media_root(const std::string& folder,
                                                    const std::string& media,
                                                    std::vector<std::string> extra_args = {});

}  // namespace streamrelay::test_support
