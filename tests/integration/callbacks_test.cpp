// Callbacks as a receiver sees them: a real HTTP server, events from real relays.
#include <gtest/gtest.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "support/callback_receiver.h"
#include "support/media_files.h"
#include "support/nginx_rtmp.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kSigningKey = "test-signing-key";
// How far a callback's timestamp may be from the receiver's clock before it is refused as stale.
constexpr int64_t kMaxTimestampSkew = 5 * 60;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class CallbacksTest : public ::testing::Test {
 protected:
  TempDir dir;
  NginxRtmp nginx{dir.file("nginx")};
  std::string media = dir.file("media");
  CallbackReceiver receiver;
  std::unique_ptr<RelayServer> server;

  void SetUp() override {
    std::filesystem::create_directories(media);
    for (int i = 0; i < 2; ++i) {
      ClipOptions clip;
      clip.file_index = i;
      clip.seconds = 2;
      make_clip(media + "/f" + std::to_string(i) + ".mp4", clip);
    }
    server = std::make_unique<RelayServer>(
        dir.file("relay"), std::vector<std::string>{"--media-root", media, "--callback-signing-key",
                                                    kSigningKey, "--callback-max-retry-s", "3"});
  }

  void TearDown() override {
    if (HasFailure() && server)
      std::cerr << "---- server log ----\n" << server->log().substr(0, 20000);
  }

  json two_file_playlist(const std::string& callback_url) {
    return {{"source_type", "PullVodPushLive"},
            {"source_urls", {"file://" + media + "/f0.mp4", "file://" + media + "/f1.mp4"}},
            {"destination_url", nginx.url("out")},
            {"vod_loop_time", "1"},
            {"callback_url", callback_url}};
  }

  // The received events of a task, first delivery of each sequence number only.
  std::vector<json> events_of(const std::string& task_id) {
    std::vector<json> events;
    std::set<int64_t> seen;
    for (const ReceivedCallback& callback : receiver.received()) {
      json body = callback.json();
      if (body.value("task_id", "") != task_id) continue;
      if (!seen.insert(body["sequence"].get<int64_t>()).second) continue;
      events.push_back(body);
    }
    return events;
  }

  static std::string describe(const json& event) {
    std::string text = event["event_type"];
    if (event["data"].contains("file_index")) {
      text += "(" + std::to_string(event["data"]["file_index"].get<int>()) + ")";
    }
    if (event["data"].contains("reason"))
      text += "(" + event["data"]["reason"].get<std::string>() + ")";
    return text;
  }

  std::vector<std::string> described(const std::string& task_id) {
    std::vector<std::string> out;
    for (const json& event : events_of(task_id)) out.push_back(describe(event));
    return out;
  }

  // X-Relay-Signature computed apart from the service's code, by the README's recipe
  //   printf '%s.%s' "$TIMESTAMP" "$BODY" | openssl dgst -sha256 -hmac "$KEY"
  // with the message written to OpenSSL's stdin and every argument passed as is (no shell).
  std::string openssl_signature(const std::string& timestamp, const std::string& body) {
    std::string name = "openssl-" + std::to_string(openssl_runs++);
    std::string message = dir.file(name + ".in");
    std::ofstream(message, std::ios::binary) << timestamp << '.' << body;
    Process openssl({"openssl", "dgst", "-sha256", "-hmac", kSigningKey}, dir.file(name + ".out"),
                    dir.file(name + ".err"), message);
    if (openssl.wait(10s) != 0) {
      ADD_FAILURE() << "openssl dgst failed: " << read_file(dir.file(name + ".err"));
      return "";
    }
    // "SHA2-256(stdin)= <hex>" (older OpenSSL: "(stdin)= <hex>")
    std::string output = read_file(dir.file(name + ".out"));
    size_t equals = output.rfind("= ");
    if (equals == std::string::npos) return "";
    std::string hex = output.substr(equals + 2);
    hex.erase(hex.find_last_not_of(" \n") + 1);
    return "sha256=" + hex;
  }

  // Why a receiver refuses a callback, or "" when it accepts it. Its rule: the timestamp is
  // within kMaxTimestampSkew of the receiver's clock (a callback captured and sent again later is
  // refused), and the signature is the README's over timestamp "." body with the shared key (so
  // neither the body nor the timestamp can be changed).
  std::string refusal_of(const ReceivedCallback& callback, int64_t now) {
    auto timestamp = callback.headers.find("x-relay-timestamp");
    auto signature = callback.headers.find("x-relay-signature");
    if (timestamp == callback.headers.end() || signature == callback.headers.end()) {
      return "unsigned";
    }
    const std::string& text = timestamp->second;
    int64_t sent_at = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), sent_at);
    if (error != std::errc() || end != text.data() + text.size()) return "bad timestamp";
    if (std::abs(now - sent_at) > kMaxTimestampSkew) return "stale timestamp";
    if (signature->second != openssl_signature(text, callback.body)) return "bad signature";
    return "";
  }

 private:
  int openssl_runs = 0;
};

const std::vector<std::string> kPlaylistEvents = {"TaskStart",
                                                  "VodSourceFileStart(0)",
                                                  "VodSourceFileFinish(0)",
                                                  "VodSourceFileStart(1)",
                                                  "VodSourceFileFinish(1)",
                                                  "TaskExit(LoopFinished)"};

}  // namespace

TEST_F(CallbacksTest, APlaylistReportsItsLifeInOrderSigned) {
  std::string id = server->create_task(two_file_playlist(receiver.url()));
  ASSERT_TRUE(eventually([&] { return events_of(id).size() >= 6; }, 30s)) << described(id).size();
  EXPECT_EQ(described(id), kPlaylistEvents);
  int64_t expected_sequence = 1;
  for (const ReceivedCallback& callback : receiver.received()) {
    json body = callback.json();
    EXPECT_EQ(body["sequence"], expected_sequence++);
    EXPECT_EQ(body["project_id"], "p1");
    EXPECT_EQ(body["source_type"], "PullVodPushLive");
    EXPECT_EQ(callback.headers.at("x-relay-event-id"), body["event_id"]);
    EXPECT_EQ(callback.headers.at("x-relay-signature"),
              openssl_signature(callback.headers.at("x-relay-timestamp"), callback.body));
  }
  json finish = events_of(id)[2];
  EXPECT_NEAR(finish["data"]["played_seconds"].get<double>(), 2.0, 0.2);
  EXPECT_EQ(finish["data"]["file_url"], "file://" + media + "/f0.mp4");
}

TEST_F(CallbacksTest, OnlySubscribedEventsAreSentAndAUrlWithoutSchemeIsHttp) {
  json body = two_file_playlist(receiver.url().substr(7));  // "127.0.0.1:port/hook"
  body["callback_events"] = {"TaskExit"};
  std::string id = server->create_task(body);
  ASSERT_TRUE(server->wait_for_status(id, "finished", 30s));
  ASSERT_TRUE(eventually([&] { return !events_of(id).empty(); }, 10s));
  sleep_for(1s);
  EXPECT_EQ(described(id), std::vector<std::string>{"TaskExit(LoopFinished)"});
}

TEST_F(CallbacksTest, EventsWaitForAReceiverThatIsDownAndArriveInOrder) {
  receiver.stop();
  std::string id = server->create_task(two_file_playlist(receiver.url()));
  ASSERT_TRUE(server->wait_for_status(id, "finished", 30s));
  sleep_for(30s - 5s);  // the receiver is down for 30 s in all
  receiver.start();
  ASSERT_TRUE(eventually([&] { return events_of(id).size() >= 6; }, 20s));
  EXPECT_EQ(described(id), kPlaylistEvents);
}

TEST_F(CallbacksTest, UndeliveredEventsSurviveKillNine) {
  receiver.stop();
  std::string id = server->create_task(two_file_playlist(receiver.url()));
  ASSERT_TRUE(server->wait_for_status(id, "finished", 30s));
  server->kill9();
  receiver.start();
  server->start();
  ASSERT_TRUE(eventually([&] { return events_of(id).size() >= 6; }, 20s));
  EXPECT_EQ(described(id), kPlaylistEvents);
}

TEST_F(CallbacksTest, DeletingATaskStillDeliversItsExit) {
  json body = two_file_playlist(receiver.url());
  body["vod_loop_time"] = "-1";
  std::string id = server->create_task(body);
  ASSERT_TRUE(server->wait_for_flow(id, 15s));
  ASSERT_EQ(server->call("DELETE", "/v1/p1/pull/stream/task?task_id=" + id).status, 200);
  ASSERT_TRUE(eventually(
      [&] {
        auto events = described(id);
        return !events.empty() && events.back() == "TaskExit(Deleted)";
      },
      15s));
  EXPECT_EQ(described(id).front(), "TaskStart");
}

TEST_F(CallbacksTest, AReceiverAcceptsACallbackAndRefusesATamperedBodyOrAStaleTimestamp) {
  std::string id = server->create_task(two_file_playlist(receiver.url()));
  ASSERT_TRUE(eventually([&] { return !events_of(id).empty(); }, 30s));
  const ReceivedCallback received = receiver.received().front();
  int64_t now = unix_now();
  EXPECT_EQ(refusal_of(received, now), "");

  ReceivedCallback tampered = received;
  tampered.body[tampered.body.size() / 2] ^= 0x01;
  EXPECT_EQ(refusal_of(tampered, now), "bad signature");

  ReceivedCallback shifted = received;
  int64_t sent_at = std::stoll(received.headers.at("x-relay-timestamp"));
  shifted.headers["x-relay-timestamp"] = std::to_string(sent_at - 10 * 60);
  EXPECT_EQ(refusal_of(shifted, now), "stale timestamp");

  // Replayed ten minutes later: refused as it is, and with a timestamp made to look fresh.
  EXPECT_EQ(refusal_of(received, now + 10 * 60), "stale timestamp");
  ReceivedCallback freshened = received;
  freshened.headers["x-relay-timestamp"] = std::to_string(sent_at + 10 * 60);
  EXPECT_EQ(refusal_of(freshened, now + 10 * 60), "bad signature");
}
