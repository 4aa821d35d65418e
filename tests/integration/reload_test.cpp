// SIGHUP (systemctl reload) while relays run: the credentials file, the log level and the egress
// settings are read again; relays keep their sessions; what cannot be read leaves the settings
// in force.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/relay_fixture.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

void write_file(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::trunc);
  file << text;
}

std::string token_file(const std::string& token) {
  return R"({"tokens": [{"token": ")" + token + R"(", "projects": ["p1"]}]})";
}

int count_of(const std::string& text, const std::string& what) {
  int count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

class ReloadTest : public ::testing::Test {
 protected:
  TempDir dir;
  NginxRtmp nginx{dir.file("nginx")};
  std::string credentials = dir.file("credentials.json");
  std::string settings = dir.file("streamrelay.conf");
  std::unique_ptr<RelayServer> server;
  HttpClient client;

  void TearDown() override {
    if (HasFailure()) print_server_log_end(server.get());
  }

  HttpReply call(const std::string& method, const std::string& token, const json& body = nullptr,
                 const std::string& query = "") {
    return client.request(method, server->tasks_url() + query, body.is_null() ? "" : body.dump(),
                          {{"X-Auth-Token", token}, {"Content-Type", "application/json"}});
  }
  // Sends SIGHUP and waits until the service says it read the settings (or refused them).
  void reload(const std::string& expected_event) {
    int before = count_of(server->log(), expected_event);
    ASSERT_EQ(kill(server->pid(), SIGHUP), 0);
    ASSERT_TRUE(eventually([&] { return count_of(server->log(), expected_event) > before; }, 10s))
        << expected_event;
  }
};

}  // namespace

TEST_F(ReloadTest, AKeyRotatedWhileThreeRelaysRunDropsNoRelayAndABrokenFileChangesNothing) {
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"));
  publisher.start();
  ASSERT_TRUE(eventually([&] { return nginx.is_publishing("src"); }, 20s));
  write_file(credentials, token_file("old-token"));
  write_file(settings,
             "credentials = " + credentials + "\nlog-level = info\nallow-loopback-egress = true\n");
  // Loopback egress and the level come from the settings file alone, so a reload can change them.
  server = std::make_unique<RelayServer>(dir.file("relay"),
                                         std::vector<std::string>{"--config", settings}, false);
  for (int i = 0; i < 3; ++i) {
    HttpReply created = call("POST", "old-token",
                             live_task(nginx.url("src"), nginx.url("out" + std::to_string(i))));
    ASSERT_EQ(created.status, 200) << created.body;
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(eventually([&] { return nginx.is_publishing("out" + std::to_string(i)); }, 20s));
  }
  EXPECT_EQ(count_of(server->log(), "level=debug"), 0);

  // Rotate: the new key only, debug logging, loopback egress off for new tasks.
  write_file(credentials, token_file("new-token"));
  write_file(settings, "credentials = " + credentials + "\nlog-level = debug\n");
  reload("event=reloaded");
  EXPECT_EQ(call("GET", "old-token").status, 401);
  HttpReply listed = call("GET", "new-token");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.json()["total"], 3);
  HttpReply refused = call("POST", "new-token", live_task(nginx.url("src"), nginx.url("out9")));
  EXPECT_EQ(refused.status, 400) << "loopback egress is off now: " << refused.body;
  EXPECT_NE(refused.body.find("loopback"), std::string::npos) << refused.body;
  EXPECT_TRUE(eventually([&] { return count_of(server->log(), "level=debug") > 0; }, 10s))
      << "the new log level";

  // A broken credentials file is refused; the keys in force stay.
  write_file(credentials, "{\"tokens\": [");
  reload("event=reload_refused");
  EXPECT_EQ(call("GET", "new-token").status, 200);
  EXPECT_EQ(call("GET", "old-token").status, 401);
  // So is a settings file that does not parse.
  write_file(settings, "this is not a setting\n");
  reload("event=reload_refused");
  EXPECT_EQ(call("GET", "new-token").status, 200);

  // The relays never noticed: one publish session each at the ingest, still going.
  std::this_thread::sleep_for(2s);
  for (int i = 0; i < 3; ++i) {
    std::string stream = "out" + std::to_string(i);
    EXPECT_TRUE(nginx.is_publishing(stream)) << stream;
    EXPECT_EQ(nginx.publish_sessions(stream).size(), 1u) << stream;
  }
  ProbeReport report = probe(nginx.url("out0"), 3, dir.file("probe.log"));
  EXPECT_TRUE(is_continuous(report, "video", packets_in(3, 25), video_gap(25)));
}
