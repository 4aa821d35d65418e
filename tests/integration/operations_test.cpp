// What operators use: /metrics after real relays, /healthz and /readyz against a real store that
// goes away, and the `streamrelay task` command-line client against a running server.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "support/callback_receiver.h"
#include "support/http_client.h"
#include "support/media_files.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/postgres_server.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The value of one series in a Prometheus text page ("name{labels}"), -1 when absent.
double metric(const std::string& page, const std::string& series) {
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

class OperationsTest : public ::testing::Test {
 protected:
  TempDir dir;
  HttpClient http;

  std::string get(const std::string& url, int* status = nullptr) {
    HttpReply reply = http.request("GET", url);
    if (status) *status = static_cast<int>(reply.status);
    return reply.body;
  }
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

}  // namespace

TEST_F(OperationsTest, MetricsCountWhatRealRelaysDo) {
  NginxRtmp nginx(dir.file("nginx"));
  PublisherOptions options;
  options.size = "160x120";
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"), options);
  publisher.start();
  ASSERT_TRUE(eventually([&] { return nginx.is_publishing("src"); }, 15s));
  CallbackReceiver receiver;
  receiver.start();
  RelayServer server(dir.file("relay"), {"--stall-threshold-ms", "1000"});

  int status = 0;
  EXPECT_EQ(get(server.base_url() + "/healthz", &status), "ok\n");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(json::parse(get(server.base_url() + "/readyz", &status))["ready"], true);
  EXPECT_EQ(status, 200);

  json plain = live_task(nginx.url("src"), nginx.url("out1"));
  plain["callback_url"] = receiver.url();
  std::string first = server.create_task(plain);
  // A primary that never sends anything: the standby takes over.
  json with_standby = live_task(nginx.url("silent"), nginx.url("out2"));
  with_standby["backup_source_type"] = "PullLivePushLive";
  with_standby["backup_source_urls"] = {nginx.url("src")};
  std::string second = server.create_task(with_standby);
  EXPECT_EQ(server.call("POST", "/v1/p1/pull/stream/task", json{{"source_type", "x"}}).status, 400);
  ASSERT_TRUE(server.wait_for_flow(first, 20s));
  ASSERT_TRUE(server.wait_for_flow(second, 30s));

  std::string url = server.base_url() + "/metrics";
  std::string page;
  bool is_complete = eventually(
      [&] {
        page = get(url);
        return metric(page, "streamrelay_tasks{status=\"running\"}") == 2 &&
               metric(page, "streamrelay_relay_failovers_total{to=\"standby\"}") >= 1 &&
               metric(page, "streamrelay_callback_deliveries_total{result=\"delivered\"}") >= 1 &&
               metric(page, "streamrelay_callback_backlog") == 0;
      },
      20s);
  ASSERT_TRUE(is_complete) << page;
  EXPECT_EQ(metric(page, "streamrelay_relays_running"), 2);
  EXPECT_EQ(metric(page, "streamrelay_tasks_known"), 2);
  EXPECT_EQ(metric(page, "streamrelay_tasks{status=\"waiting\"}"), 0);
  EXPECT_EQ(metric(page, "streamrelay_api_requests_total{route=\"create\",code=\"200\"}"), 2);
  EXPECT_EQ(metric(page, "streamrelay_api_requests_total{route=\"create\",code=\"400\"}"), 1);
  EXPECT_GE(metric(page, "streamrelay_api_request_duration_seconds_count{route=\"list\"}"), 1);
  EXPECT_EQ(
      metric(page, "streamrelay_api_request_duration_seconds_bucket{route=\"create\",le=\"+Inf\"}"),
      3);
  EXPECT_EQ(metric(page,
                   "streamrelay_store_operation_duration_seconds_count{operation="
                   "\"create_task\"}"),
            2);
  // The silent primary stalled (1 s) before its standby went on air: a reconnect is counted.
  EXPECT_GE(metric(page, "streamrelay_relay_reconnects_total"), 1);
  EXPECT_NE(page.find("# TYPE streamrelay_api_request_duration_seconds histogram"),
            std::string::npos);

  // Bytes keep moving while the relays run.
  double in_before = metric(page, "streamrelay_relay_bytes_in_total");
  double out_before = metric(page, "streamrelay_relay_bytes_out_total");
  EXPECT_GT(in_before, 0);
  EXPECT_GT(out_before, 0);
  sleep_for(2s);
  page = get(url);
  EXPECT_GT(metric(page, "streamrelay_relay_bytes_in_total"), in_before + 10000);
  EXPECT_GT(metric(page, "streamrelay_relay_bytes_out_total"), out_before + 10000);

  // A source that goes away shows as reconnects and an abnormal task.
  publisher.stop();
  ASSERT_TRUE(eventually(
      [&] {
        page = get(url);
        return metric(page, "streamrelay_relay_reconnects_total") >= 1 &&
               metric(page, "streamrelay_tasks{status=\"abnormal\"}") >= 1;
      },
      20s))
      << page;
}

TEST_F(OperationsTest, ReadinessFollowsTheStore) {
  PostgresServer postgres(dir.file("postgres"));
  std::string conninfo = postgres.create_database("relay");
  RelayServer server(dir.file("relay"), {"--database", conninfo});
  int status = 0;
  EXPECT_EQ(json::parse(get(server.base_url() + "/readyz", &status))["ready"], true);
  EXPECT_EQ(status, 200);

  postgres.stop();
  json body;
  ASSERT_TRUE(eventually(
      [&] {
        body = json::parse(get(server.base_url() + "/readyz", &status), nullptr, false);
        return status == 503;
      },
      15s));
  EXPECT_EQ(body["ready"], false);
  EXPECT_NE(body.value("reason", "").find("store unreachable"), std::string::npos) << body;
  // Alive all the same: the process answers and would recover with its database.
  EXPECT_EQ(get(server.base_url() + "/healthz", &status), "ok\n");
  EXPECT_EQ(status, 200);
  std::string page = get(server.base_url() + "/metrics");
  EXPECT_GT(metric(page,
                   "streamrelay_store_operation_duration_seconds_count{operation="
                   "\"schema_version\"}"),
            1);
}

class CliTest : public OperationsTest {
 protected:
  std::string media = dir.file("media");
  std::unique_ptr<RelayServer> server;
  std::string server_url;
  int runs = 0;

  void SetUp() override {
    std::filesystem::create_directories(media);
    for (int i = 0; i < 3; ++i) {
      ClipOptions clip;
      clip.seconds = 2;
      clip.file_index = i;
      make_clip(media + "/f" + std::to_string(i) + ".mp4", clip);
    }
    std::ofstream(dir.file("credentials.json")) << R"({
      "tokens": [{"token": "cli-token", "projects": ["p1"]}],
      "access_keys": [{"ak": "AKCLI", "sk": "cli-secret", "projects": ["p1"]}]
    })";
    server = std::make_unique<RelayServer>(
        dir.file("relay"), std::vector<std::string>{"--credentials", dir.file("credentials.json"),
                                                    "--media-root", media});
    server_url = server->base_url();
  }

  std::string file_url(int i) const {
    return "file://" + media + "/f" + std::to_string(i) + ".mp4";
  }

  // Runs `streamrelay task <args>` against the server with the token unless `credentials` say
  // otherwise.
  CliResult cli(std::vector<std::string> args,
                std::vector<std::string> credentials = {"--token", "cli-token"}) {
    std::vector<std::string> argv = {STREAMRELAY_BINARY, "task",      "--server",
                                     server_url,         "--project", "p1"};
    argv.insert(argv.end(), credentials.begin(), credentials.end());
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out = dir.file("cli-" + std::to_string(++runs) + ".out");
    std::string err = dir.file("cli-" + std::to_string(runs) + ".err");
    Process process(argv, out, err);
    CliResult result;
    result.exit_code = process.wait(30s);
    result.out = read_file(out);
    result.err = read_file(err);
    return result;
  }
};

TEST_F(CliTest, CreateListGetModifyAndDeleteRoundTrip) {
  CliResult created = cli({"create", "--source-type", "PullVodPushLive", "--source-url",
                           file_url(0), "--source-url", file_url(1), "--destination-url",
                           "rtmp://127.0.0.1:1/live/cli", "--vod-loop-time", "3"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string id = created.out.substr(0, created.out.find('\n'));
  ASSERT_TRUE(std::regex_match(id, std::regex("[0-9a-f-]{36}"))) << created.out;

  CliResult listed = cli({"list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out.rfind("TASK_ID", 0), 0u) << listed.out;
  EXPECT_NE(listed.out.find(id), std::string::npos);
  EXPECT_NE(listed.out.find("1 shown of 1"), std::string::npos);

  CliResult as_json = cli({"--json", "get", id});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  json info = json::parse(as_json.out);
  EXPECT_EQ(info["source_urls"].size(), 2u);
  EXPECT_EQ(info["vod_loop_time"], "3");
  CliResult table = cli({"get", id});
  EXPECT_NE(table.out.find("runtime.bitrate_kbps"), std::string::npos) << table.out;

  ASSERT_EQ(cli({"modify", id, "--pause"}).exit_code, 0);
  EXPECT_EQ(server->call("GET", "/v1/p1/pull/stream/task?task_id=" + id).status, 401);
  EXPECT_EQ(json::parse(cli({"--json", "get", id}).out)["status"], "paused");
  CliResult modified =
      cli({"modify", id, "--enable", "--source-url", file_url(2), "--source-url", file_url(0),
           "--source-url", file_url(1), "--vod-refresh-type", "continue_from_break_point"});
  ASSERT_EQ(modified.exit_code, 0) << modified.err;
  info = json::parse(cli({"--json", "get", id}).out);
  EXPECT_EQ(info["source_urls"].size(), 3u);
  EXPECT_EQ(info["vod_refresh_type"], "continue_from_break_point");
  EXPECT_NE(info["status"], "paused");

  // An SDK access key works as well as a token.
  CliResult signed_list = cli({"--json", "list"}, {"--ak", "AKCLI", "--sk", "cli-secret"});
  ASSERT_EQ(signed_list.exit_code, 0) << signed_list.err;
  EXPECT_EQ(json::parse(signed_list.out)["total"], 1);

  CliResult deleted = cli({"delete", id});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(deleted.out, id + "\n");
  CliResult gone = cli({"get", id});
  EXPECT_EQ(gone.exit_code, 5);
  EXPECT_NE(gone.err.find("no such task (HTTP 404, LIVE.103011019)"), std::string::npos)
      << gone.err;
  EXPECT_NE(cli({"list"}).out.find("0 shown of 0"), std::string::npos);
}

TEST_F(CliTest, ErrorsNameTheRuleAndBadCredentialsAreRefused) {
  CliResult invalid = cli({"create", "--source-type", "PullLivePushLive", "--source-url",
                           "rtmp://127.0.0.1:1/live/a", "--destination-url",
                           "rtmp://127.0.0.1:1/live/b", "--vod-loop-time", "2"});
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_NE(invalid.err.find("vod_loop_time"), std::string::npos) << invalid.err;
  EXPECT_NE(invalid.err.find("LIVE.100011001"), std::string::npos) << invalid.err;

  CliResult wrong_token = cli({"list"}, {"--token", "nope"});
  EXPECT_EQ(wrong_token.exit_code, 4);
  EXPECT_NE(wrong_token.err.find("authentication failed (HTTP 401, APIG.0301)"), std::string::npos)
      << wrong_token.err;
  CliResult wrong_secret = cli({"list"}, {"--ak", "AKCLI", "--sk", "wrong"});
  EXPECT_EQ(wrong_secret.exit_code, 4);
  EXPECT_NE(wrong_secret.err.find("APIG.0301"), std::string::npos) << wrong_secret.err;

  server.reset();
  CliResult no_server = cli({"list"});
  EXPECT_EQ(no_server.exit_code, 3);
  EXPECT_NE(no_server.err.find("cannot reach"), std::string::npos) << no_server.err;
}

TEST(Backup, ACopyMadeWhileTasksAreCreatedRestoresEveryTaskItHolds) {
  TempDir dir;
  auto server = std::make_unique<RelayServer>(dir.file("relay"));
  auto task_to = [](const std::string& stream) {
    return live_task("rtmp://127.0.0.1:1/live/src", "rtmp://127.0.0.1:1/live/" + stream);
  };
  std::vector<std::string> before;
  for (int i = 0; i < 30; ++i)
    before.push_back(server->create_task(task_to("b" + std::to_string(i))));
  // Writers go on while the copy is made.
  std::atomic<bool> is_copying{true};
  std::atomic<int> created_during{0};
  std::thread writer([&] {
    HttpClient client;
    for (int i = 0; is_copying && i < 200; ++i) {
      HttpReply reply =
          client.request("POST", server->tasks_url(), task_to("d" + std::to_string(i)).dump(),
                         {{"Content-Type", "application/json"}});
      created_during += reply.status == 200;
    }
  });
  std::string copy = dir.file("copy.db");
  Process backup({STREAMRELAY_BINARY, "backup", "--data-dir", dir.file("relay") + "/data", copy},
                 dir.file("backup.log"));
  int rc = backup.wait(60s);
  is_copying = false;
  writer.join();
  ASSERT_EQ(rc, 0) << read_file(dir.file("backup.log"));
  EXPECT_NE(read_file(dir.file("backup.log")).find("integrity ok"), std::string::npos);
  // An existing file is never overwritten.
  Process again({STREAMRELAY_BINARY, "backup", "--data-dir", dir.file("relay") + "/data", copy},
                dir.file("again.log"));
  EXPECT_NE(again.wait(60s), 0);
  EXPECT_NE(read_file(dir.file("again.log")).find("exists"), std::string::npos);

  // Restore: the copy as the database of a service started on it.
  server.reset();
  std::filesystem::create_directories(dir.file("restored") + "/data");
  std::filesystem::copy_file(copy, dir.file("restored") + "/data/streamrelay.db");
  RelayServer restored(dir.file("restored"));
  for (const std::string& id : before) {
    EXPECT_EQ(restored.task_info(id).value("task_id", ""), id);
  }
  HttpClient client;
  json listed = client.request("GET", restored.tasks_url() + "?limit=1").json();
  int total = listed.value("total", 0);
  EXPECT_GE(total, 30);
  EXPECT_LE(total, 30 + created_during.load());
}
