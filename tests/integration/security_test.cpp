// Who gets in and where the service may connect to: AK/SK signing with the vendor's own signer,
// tokens, tenancy, egress, conflicts and limits, and hostile peers.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "net/digest.h"
#include "support/callback_receiver.h"
#include "support/http_client.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/npm_packages.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"
#include "support/udp_peers.h"
#include "task/time_format.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kCredentials = R"({
  "tokens": [{"token": "token-p1", "projects": ["p1"]}],
  "access_keys": [
    {"ak": "AKP1", "sk": "secret-p1", "projects": ["p1"]},
    {"ak": "AKP2", "sk": "secret-p2", "projects": ["p2"]}
  ]
})";

// The vendor's SDK signer (npm, pinned), each request sent by a node process of its own.
class SdkSigner {
 public:
  explicit SdkSigner(const std::string& folder) : folder_(folder) {
    std::filesystem::create_directories(folder_);
    modules_ = install_npm_packages("huaweicloud-sdk",
                                    {"@huaweicloud/huaweicloud-sdk-core@3.1.211"}, log_);
  }

  bool is_ready() const { return !modules_.empty(); }
  std::string log() const { return log_; }

  // Signs with `ak`/`sk` and sends; `date` overrides X-Sdk-Date; `sent_body` replaces the body
  // after signing; `added_headers` are added after signing, `signed_headers` before.
  HttpReply send(const std::string& method, const std::string& url, const json& body,
                 const std::string& ak, const std::string& sk, const std::string& date = "",
                 const std::string& sent_body = "", const json& added_headers = json::object(),
                 const json& signed_headers = json::object()) {
    std::string out = folder_ + "/reply.json";
    std::filesystem::remove(out);
    Process node({"node", STREAMRELAY_TEST_SOURCE_DIR "/support/sdk/signed_request.js", modules_,
                  method, url, body.is_null() ? "" : body.dump(), ak, sk, date, sent_body,
                  added_headers.dump(), signed_headers.dump()},
                 out, folder_ + "/node.log");
    node.wait(std::chrono::seconds(30));
    json reply = json::parse(read_file(out), nullptr, false);
    HttpReply result;
    if (reply.is_object()) {
      result.status = reply.value("status", 0);
      result.body = reply.value("body", "");
      result.headers["content-type"] = reply.value("type", "");
      record_api_answer(method, url, result);
    }
    return result;
  }

 private:
  std::string folder_;
  std::string modules_;
  std::string log_;
};

std::string sdk_date(int64_t unix_seconds) {
  std::string iso = streamrelay::task::format_utc(unix_seconds);  // 2006-01-02T15:04:05Z
  std::string out;
  for (char c : iso) {
    if (c != '-' && c != ':') out += c;
  }
  return out;  // 20060102T150405Z
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string error_code_of(const HttpReply& reply) {
  return reply.json().value("error_code", "");
}

json live_body(const std::string& stream) {
  return live_task("rtmp://source.example.com/live/a", "rtmp://ingest.example.com/live/" + stream);
}

}  // namespace

TEST(Security, AnUnmodifiedSdkSignerIsAcceptedAndBadSignaturesAreNot) {
  TempDir dir;
  {
    std::ofstream file(dir.file("credentials.json"));
    file << kCredentials;
  }
  RelayServer server(dir.file("relay"), {"--credentials", dir.file("credentials.json")});
  SdkSigner sdk(dir.file("sdk"));
  ASSERT_TRUE(sdk.is_ready()) << "npm install failed: " << sdk.log();
  std::string url = server.tasks_url("p1");

  HttpReply created = sdk.send("POST", url, live_body("signed"), "AKP1", "secret-p1");
  ASSERT_EQ(created.status, 200) << created.body;
  std::string id = created.json()["task_id"];
  HttpReply listed =
      sdk.send("GET", url + "?task_id=" + id + "&limit=5", nullptr, "AKP1", "secret-p1");
  EXPECT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.json()["total"], 1);
  HttpReply modified =
      sdk.send("PUT", url, json{{"task_id", id}, {"status", "pause"}}, "AKP1", "secret-p1");
  EXPECT_EQ(modified.status, 200) << modified.body;
  HttpReply deleted = sdk.send("DELETE", url + "?task_id=" + id, nullptr, "AKP1", "secret-p1");
  EXPECT_EQ(deleted.status, 200) << deleted.body;

  HttpReply tampered =
      sdk.send("POST", url, live_body("a"), "AKP1", "secret-p1", "", live_body("b").dump());
  EXPECT_EQ(tampered.status, 401);
  EXPECT_EQ(error_code_of(tampered), "APIG.0301");
  // The body replaced, with an unsigned header claiming the signed body's hash.
  json original = live_body("original");
  HttpReply replaced =
      sdk.send("POST", url, original, "AKP1", "secret-p1", "", live_body("replaced").dump(),
               {{"X-Sdk-Content-Sha256", streamrelay::net::sha256_hex(original.dump())}});
  EXPECT_EQ(replaced.status, 401) << replaced.body;
  HttpReply stored = sdk.send("GET", url + "?limit=100", nullptr, "AKP1", "secret-p1");
  EXPECT_EQ(stored.body.find("replaced"), std::string::npos) << "the replaced body was stored";
  HttpReply wrong_secret = sdk.send("POST", url, live_body("c"), "AKP1", "not-the-secret");
  EXPECT_EQ(wrong_secret.status, 401);
  HttpReply stale =
      sdk.send("GET", url, nullptr, "AKP1", "secret-p1", sdk_date(unix_now() - 20 * 60));
  EXPECT_EQ(stale.status, 401);
  EXPECT_NE(stale.json().value("error_msg", "").find("X-Sdk-Date"), std::string::npos);
  HttpReply other_project = sdk.send("GET", url, nullptr, "AKP2", "secret-p2");
  EXPECT_EQ(other_project.status, 403);
  EXPECT_EQ(error_code_of(other_project), "LIVE.100011003");
  // The SDKs sign X-Project-Id: the path's project passes, another is refused.
  HttpReply same_project = sdk.send("GET", url, nullptr, "AKP1", "secret-p1", "", "",
                                    json::object(), {{"X-Project-Id", "p1"}});
  EXPECT_EQ(same_project.status, 200) << same_project.body;
  HttpReply other_header = sdk.send("GET", url, nullptr, "AKP1", "secret-p1", "", "",
                                    json::object(), {{"X-Project-Id", "p2"}});
  EXPECT_EQ(other_header.status, 401) << other_header.body;
  EXPECT_EQ(error_code_of(other_header), "LIVE.100011015");
  HttpReply unknown = sdk.send("GET", url, nullptr, "AKNOPE", "x");
  EXPECT_EQ(unknown.status, 401);
  // An unknown key and a wrong secret read the same: nobody learns which keys exist.
  HttpReply wrong_secret_get = sdk.send("GET", url, nullptr, "AKP1", "not-the-secret");
  EXPECT_EQ(unknown.json().value("error_msg", "?"), wrong_secret_get.json().value("error_msg", ""));

  HttpClient client;
  EXPECT_EQ(client.request("GET", url).status, 401);
  EXPECT_EQ(client.request("GET", url, "", {{"X-Auth-Token", "token-p1"}}).status, 200);
  EXPECT_EQ(
      client.request("GET", server.tasks_url("p2"), "", {{"X-Auth-Token", "token-p1"}}).status,
      403);
}

TEST(Security, EgressRulesApplyAtCreateTimeAndAtConnectTime) {
  TempDir dir;
  NginxRtmp nginx(dir.file("nginx"));
  CallbackReceiver receiver;
  RelayServer server(dir.file("relay"), {}, /*allows_loopback=*/false);
  HttpClient client;
  // An address known at once is refused at once.
  HttpReply literal =
      client.request("POST", server.tasks_url(),
                     live_task(nginx.url("src"), "rtmp://ingest.example.com/l/x").dump());
  EXPECT_EQ(literal.status, 400);
  EXPECT_NE(literal.json().value("error_msg", "").find("source_urls[0]"), std::string::npos);
  HttpReply metadata = client.request(
      "POST", server.tasks_url(),
      live_task("http://169.254.169.254/latest/meta-data", "rtmp://ingest.example.com/l/x").dump());
  EXPECT_EQ(metadata.status, 400);
  // A name is checked on the address it resolves to, when the connection is made.
  std::string by_name = "rtmp://localhost:" + std::to_string(nginx.rtmp_port()) + "/live/src";
  json body = live_task(by_name, "rtmp://ingest.example.com/live/x");
  body["callback_url"] = "localhost:" + receiver.url().substr(receiver.url().rfind(':') + 1);
  std::string id = server.create_task(body);
  EXPECT_TRUE(server.wait_for_status(id, "abnormal", 15s));
  std::string error = server.task_info(id)["runtime"]["last_error"];
  EXPECT_NE(error.find("loopback"), std::string::npos) << error;
  sleep_for(3s);
  EXPECT_TRUE(receiver.received().empty()) << "a callback reached a refused address";
}

TEST(Security, SharedDestinationsConflictAndQuotasAndRatesAreEnforced) {
  TempDir dir;
  RelayServer server(dir.file("relay"), {"--project-task-quota", "2", "--rate-limit-rps", "20"});
  HttpClient client;
  EXPECT_EQ(client.request("POST", server.tasks_url(), live_body("one").dump()).status, 200);
  HttpReply conflict = client.request("POST", server.tasks_url(), live_body("one").dump());
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(error_code_of(conflict), "LIVE.103011018");
  EXPECT_EQ(client.request("POST", server.tasks_url(), live_body("two").dump()).status, 200);
  HttpReply quota = client.request("POST", server.tasks_url(), live_body("three").dump());
  EXPECT_EQ(quota.status, 429);
  EXPECT_EQ(error_code_of(quota), "LIVE.103011020");
  EXPECT_EQ(client.request("POST", server.tasks_url("p2"), live_body("three").dump()).status, 200);
  int limited = 0;
  for (int i = 0; i < 100; ++i) {
    HttpReply reply = client.request("GET", server.tasks_url());
    if (reply.status == 429) {
      ++limited;
      EXPECT_EQ(error_code_of(reply), "LIVE.100011007");
    }
  }
  EXPECT_GT(limited, 0);
}

namespace {

// A TCP server on loopback that answers every connection with random bytes, or with silence.
class HostilePeer {
 public:
  explicit HostilePeer(bool sends_garbage) : sends_garbage_(sends_garbage), port_(free_port()) {
    fd_ = listen_on_loopback(port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~HostilePeer() {
    is_stopping_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (int client : clients_) close(client);
  }
  std::string url() const { return "rtmp://127.0.0.1:" + std::to_string(port_) + "/live/x"; }

 private:
  void serve() {
    std::mt19937 random(42);
    while (!is_stopping_) {
      int client = accept(fd_, nullptr, nullptr);
      if (client < 0) break;
      clients_.push_back(client);
      if (!sends_garbage_) continue;
      char bytes[4096];
      for (int round = 0; round < 64; ++round) {
        for (char& byte : bytes) byte = static_cast<char>(random());
        if (send(client, bytes, sizeof bytes, MSG_NOSIGNAL) <= 0) break;
      }
    }
  }

  bool sends_garbage_;
  int port_;
  int fd_;
  std::atomic<bool> is_stopping_{false};
  std::vector<int> clients_;
  std::thread thread_;
};

}  // namespace

TEST(Security, HostileSourcesAreReportedAndOtherTasksPlayOn) {
  TempDir dir;
  NginxRtmp nginx(dir.file("nginx"));
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"));
  publisher.start();
  ASSERT_TRUE(eventually([&] { return nginx.is_publishing("src"); }, 15s));
  RelayServer server(dir.file("relay"));
  HostilePeer garbage(true);
  HostilePeer silent(false);
  std::string healthy = server.create_task(live_task(nginx.url("src"), nginx.url("good")));
  std::string noisy = server.create_task(live_task(garbage.url(), nginx.url("noisy")));
  std::string mute = server.create_task(live_task(silent.url(), nginx.url("mute")));
  EXPECT_TRUE(server.wait_for_status(noisy, "abnormal", 20s));
  EXPECT_TRUE(server.wait_for_status(mute, "abnormal", 20s));
  EXPECT_FALSE(server.task_info(noisy)["runtime"]["last_error"].get<std::string>().empty());
  EXPECT_FALSE(server.task_info(mute)["runtime"]["last_error"].get<std::string>().empty());
  sleep_for(5s);
  EXPECT_EQ(server.status_of(healthy), "running");
  ProbeReport report = probe(nginx.url("good"), 3, dir.file("probe.log"));
  EXPECT_TRUE(report.is_ok) << report.error;
  EXPECT_EQ(report.non_monotonic_dts("video"), 0);
  EXPECT_EQ(HttpClient().request("GET", server.tasks_url()).status, 200) << "the service died";
}

TEST(Security, FailedAuthenticationsAreThrottledPerAddressAndLogged) {
  TempDir dir;
  {
    std::ofstream file(dir.file("credentials.json"));
    file << kCredentials;
  }
  RelayServer server(dir.file("relay"),
                     {"--credentials", dir.file("credentials.json"), "--log-level", "info"});
  HttpClient client;
  int unauthenticated = 0;
  int throttled = 0;
  for (int i = 0; i < 1000; ++i) {
    HttpReply reply = client.request("GET", server.tasks_url(), "",
                                     {{"X-Auth-Token", "guess-" + std::to_string(i)}});
    unauthenticated += reply.status == 401;
    if (reply.status == 429) {
      ++throttled;
      EXPECT_EQ(error_code_of(reply), "LIVE.100011007");
    }
  }
  // 30 failures a minute by default: the first 30 are answered, the rest refused at the door.
  EXPECT_GE(unauthenticated, 30);
  EXPECT_LE(unauthenticated, 40);
  EXPECT_EQ(unauthenticated + throttled, 1000);
  EXPECT_EQ(client.request("GET", server.tasks_url(), "", {{"X-Auth-Token", "token-p1"}}).status,
            429)
      << "a throttled address is refused before its credentials are read";
  // Each failure is a warning naming the client and the key id, never the secret.
  std::string log = server.log();
  size_t warnings = 0;
  std::string line = "event=authentication_failed client=127.0.0.1 credential=token";
  for (size_t at = log.find(line); at != std::string::npos; at = log.find(line, at + 1)) {
    ++warnings;
  }
  EXPECT_EQ(warnings, static_cast<size_t>(unauthenticated));
  EXPECT_EQ(log.find("guess-1"), std::string::npos) << "a token reached the log";
  // The bucket refills (one failure every 2 s), and then good credentials work again.
  EXPECT_TRUE(eventually(
      [&] {
        return client.request("GET", server.tasks_url(), "", {{"X-Auth-Token", "token-p1"}})
                   .status == 200;
      },
      5s));
}

TEST(Security, StreamKeysAndUrlSecretsStayOutOfLogsAndEvents) {
  TempDir dir;
  NginxRtmp nginx(dir.file("nginx"));
  LivePublisher publisher(nginx.url("src-key-7Hq2x9"), dir.file("publisher.log"));
  publisher.start();
  ASSERT_TRUE(eventually([&] { return nginx.is_publishing("src-key-7Hq2x9"); }, 15s));
  CallbackReceiver receiver;
  RelayServer server(dir.file("relay"));  // tests run at --log-level debug: FFmpeg's lines too
  json body = live_task(nginx.url("src-key-7Hq2x9") + "?auth=Src-Auth-4471",
                        nginx.url("dst-key-Zr8w4Pq1") + "?sig=S1gnatur3x&pass=Pa55word9");
  body["callback_url"] = receiver.url() + "/hook?token=Cb-T0ken-558";
  std::string id = server.create_task(body);
  ASSERT_TRUE(server.wait_for_flow(id, 20s));
  // Failures make error messages, which quote what the servers said.
  nginx.stop();
  EXPECT_TRUE(server.wait_for_status(id, "abnormal", 20s));
  nginx.start();
  publisher.stop();
  publisher.start();
  EXPECT_TRUE(server.wait_for_flow(id, 30s));
  EXPECT_TRUE(eventually([&] { return receiver.received().size() >= 3; }, 15s));

  std::string events =
      server.call("GET", "/v1/p1/pull/stream/task/events?task_id=" + id + "&limit=100").body;
  std::string runtime = server.task_info(id)["runtime"].dump();
  std::string delivered;
  for (const ReceivedCallback& callback : receiver.received()) delivered += callback.body;
  std::string log = server.log();
  ASSERT_NE(events.find("TaskStart"), std::string::npos) << events;
  ASSERT_NE(log.find("event=task_start"), std::string::npos);
  for (const char* secret : {"src-key-7Hq2x9", "dst-key-Zr8w4Pq1", "Src-Auth-4471", "S1gnatur3x",
                             "Pa55word9", "Cb-T0ken-558"}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " is in the log";
    EXPECT_EQ(events.find(secret), std::string::npos) << secret << " is in the events API";
    EXPECT_EQ(delivered.find(secret), std::string::npos) << secret << " is in a callback";
    EXPECT_EQ(runtime.find(secret), std::string::npos) << secret << " is in runtime";
  }
  // Still recognisable: the host, the app and the start of the key.
  EXPECT_NE(events.find("/live/dst-***"), std::string::npos) << events;
}

TEST(Security, SrtSourcesSendNothingToARefusedAddress) {
  TempDir dir;
  UdpCounter refused_listener;
  RelayServer server(dir.file("relay"), {}, /*allows_loopback=*/false);
  std::string source =
      "srt://localhost:" + std::to_string(refused_listener.port()) + "?mode=caller";
  std::string id = server.create_task(live_task(source, "rtmp://ingest.example.com/live/x"));
  EXPECT_TRUE(server.wait_for_status(id, "abnormal", 15s));
  sleep_for(3s);
  EXPECT_EQ(refused_listener.datagrams(), 0) << "an SRT handshake reached a loopback listener";
  std::string error = server.task_info(id)["runtime"]["last_error"];
  EXPECT_NE(error.find("loopback"), std::string::npos) << error;

  // The same source where loopback is allowed does reach its listener: the count can see it.
  UdpCounter allowed_listener;
  RelayServer allowing(dir.file("allowing"));
  source = "srt://localhost:" + std::to_string(allowed_listener.port()) + "?mode=caller";
  allowing.create_task(live_task(source, "rtmp://ingest.example.com/live/x"));
  EXPECT_TRUE(eventually([&] { return allowed_listener.datagrams() > 0; }, 10s));
}

TEST(Security, RtspOverUdpSendsNothingToARefusedAddress) {
  // A camera on an address the policy counts as global (TEST-NET-3), inside a network namespace
  // of this test's own: its SETUP answer names a loopback address as the RTP source, where the
  // client sends its first packets.
  constexpr const char* kCameraAddress = "203.0.113.7";
  if (!enter_private_network(kCameraAddress)) {
    GTEST_SKIP() << "a private network namespace needs CAP_SYS_ADMIN";
  }
  TempDir dir;
  UdpCounter refused_listener;
  FakeRtspServer camera(kCameraAddress, "127.0.0.1", refused_listener.port());
  RelayServer server(dir.file("relay"), {}, /*allows_loopback=*/false);
  std::string destination = std::string("rtmp://") + kCameraAddress + ":1/live/x";
  std::string id = server.create_task(live_task(camera.url() + "?udp", destination));
  ASSERT_TRUE(eventually([&] { return !camera.setups().empty(); }, 15s)) << server.log();
  EXPECT_NE(camera.setups().front().find("RTP/AVP/UDP"), std::string::npos)
      << camera.setups().front();
  sleep_for(3s);
  EXPECT_EQ(refused_listener.datagrams(), 0) << "RTP reached a loopback listener";
  EXPECT_TRUE(server.wait_for_status(id, "abnormal", 15s));

  UdpCounter allowed_listener;
  FakeRtspServer allowed_camera(kCameraAddress, "127.0.0.1", allowed_listener.port());
  RelayServer allowing(dir.file("allowing"));
  allowing.create_task(live_task(allowed_camera.url() + "?udp", destination));
  EXPECT_TRUE(eventually([&] { return allowed_listener.datagrams() > 0; }, 15s));
}
