// A real Prometheus scrapes a running streamrelay and evaluates the shipped alert rules: one of
// them fires on what the scrape reads (the rules' "for" durations shortened to nothing here).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "support/http_client.h"
#include "support/process.h"
#include "support/relay_fixture.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

// The shipped rules with every `for:` set to 0s, so a firing shows within a few evaluations.
std::string immediate_rules(const std::string& folder) {
  std::string rules =
      read_file(STREAMRELAY_SOURCE_DIR "/packaging/prometheus/streamrelay.rules.yml");
  rules = std::regex_replace(rules, std::regex(R"(for: \d+[smh])"), "for: 0s");
  std::string path = folder + "/rules.yml";
  std::ofstream(path) << rules;
  return path;
}

}  // namespace

TEST(Monitoring, ARealPrometheusScrapeFiresTheAbnormalRelaysRule) {
  TempDir dir;
  RelayServer server(dir.file("relay"));
  // A relay whose source never answers: the task goes abnormal.
  std::string id = server.create_task(
      live_task("rtmp://127.0.0.1:" + std::to_string(free_port()) + "/live/none",
                "rtmp://127.0.0.1:" + std::to_string(free_port()) + "/live/out"));
  ASSERT_TRUE(server.wait_for_status(id, "abnormal", 20s));

  int port = free_port();
  std::string folder = dir.file("prometheus");
  std::filesystem::create_directories(folder);
  std::string rules = immediate_rules(folder);
  std::ofstream(folder + "/prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      << "rule_files:\n  - " << rules << "\n"
      << "scrape_configs:\n  - job_name: streamrelay\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << server.port() << "']\n";
  Process prometheus({"prometheus", "--config.file=" + folder + "/prometheus.yml",
                      "--storage.tsdb.path=" + folder + "/data",
                      "--web.listen-address=127.0.0.1:" + std::to_string(port)},
                     folder + "/prometheus.log");
  std::string api = "http://127.0.0.1:" + std::to_string(port) + "/api/v1/";
  HttpClient client;
  json firing;
  bool has_fired = eventually(
      [&] {
        HttpReply reply = client.request("GET", api + "alerts", "", {}, 2s);
        if (reply.status != 200) return false;
        json body = reply.json();
        for (const json& alert : body["data"]["alerts"]) {
          if (alert["labels"]["alertname"] == "StreamrelayRelaysAbnormal" &&
              alert["state"] == "firing") {
            firing = alert;
            return true;
          }
        }
        return false;
      },
      60s);
  ASSERT_TRUE(has_fired) << read_file(folder + "/prometheus.log");
  EXPECT_EQ(firing["labels"]["instance"], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(firing["value"], "1e+00");
  // The scrape read the node as up and ready, so those rules stay quiet.
  HttpReply ready = client.request("GET", api + "query?query=streamrelay_ready", "", {}, 2s);
  ASSERT_EQ(ready.status, 200);
  json readiness = ready.json();
  EXPECT_EQ(readiness["data"]["result"][0]["value"][1], "1");
  json alerts = client.request("GET", api + "alerts", "", {}, 2s).json();
  for (const json& alert : alerts["data"]["alerts"]) {
    EXPECT_NE(alert["labels"]["alertname"], "StreamrelayNotReady");
    EXPECT_NE(alert["labels"]["alertname"], "StreamrelayNodeLost");
  }
}
