// Standby failover and the slate, with real publishers: each source's pictures say which source
// it is, so the destination's media shows what went on air.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <limits>
#include <set>

#include "notify/signature.h"
#include "support/callback_receiver.h"
#include "support/media_files.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kSigningKey = "failover-key";

PublisherOptions marked(int index) {
  PublisherOptions options;
  options.mark_index = index;
  options.size = "160x120";
  return options;
}

class FailoverTest : public ::testing::Test {
 protected:
  TempDir dir;
  NginxRtmp nginx{dir.file("nginx")};
  LivePublisher primary{nginx.url("primary"), dir.file("primary.log"), marked(0)};
  LivePublisher standby{nginx.url("standby"), dir.file("standby.log"), marked(1)};
  CallbackReceiver receiver;
  std::unique_ptr<RelayServer> server;

  void SetUp() override {
    primary.start();
    standby.start();
    ASSERT_TRUE(eventually([&] { return nginx.is_publishing("primary"); }, 15s));
    ASSERT_TRUE(eventually([&] { return nginx.is_publishing("standby"); }, 15s));
    server = std::make_unique<RelayServer>(
        dir.file("relay"), std::vector<std::string>{"--callback-signing-key", kSigningKey,
                                                    "--callback-max-retry-s", "2"});
  }

  void TearDown() override {
    if (HasFailure() && server)
      std::cerr << "---- server log ----\n" << server->log().substr(0, 30000);
  }

  std::string source_of(const std::string& id) {
    json info = server->task_info(id);
    return info.contains("runtime") ? info["runtime"].value("source", "") : "";
  }

  // How long until the task reports `source`, or a negative duration if it never does.
  double seconds_until_source(const std::string& id, const std::string& source,
                              std::chrono::seconds limit) {
    auto started = std::chrono::steady_clock::now();
    if (!eventually([&] { return source_of(id) == source; }, limit)) return -1;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }

  std::vector<std::string> callbacks_of(const std::string& id) {
    std::vector<std::string> out;
    std::set<int64_t> seen;
    for (const ReceivedCallback& callback : receiver.received()) {
      json body = callback.json();
      if (body.value("task_id", "") != id || !seen.insert(body["sequence"].get<int64_t>()).second) {
        continue;
      }
      std::string name = body["event_type"];
      if (body["data"].contains("alarm"))
        name += "(" + body["data"]["alarm"].get<std::string>() + ")";
      if (body["data"].contains("reason"))
        name += "(" + body["data"]["reason"].get<std::string>() + ")";
      EXPECT_EQ(callback.headers.at("x-relay-signature"),
                streamrelay::notify::callback_signature(
                    kSigningKey, callback.headers.at("x-relay-timestamp"), callback.body));
      out.push_back(name);
    }
    return out;
  }
};

bool is_subsequence(const std::vector<std::string>& wanted, const std::vector<std::string>& got) {
  size_t at = 0;
  for (const std::string& item : got) {
    if (at < wanted.size() && item == wanted[at]) ++at;
  }
  return at == wanted.size();
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += item + " ";
  return out;
}

}  // namespace

TEST_F(FailoverTest, TheStandbyTakesOverAndThePrimaryComesBackSeamlessly) {
  json body = live_task(nginx.url("primary"), nginx.url("out"));
  body["backup_source_type"] = "PullLivePushLive";
  body["backup_source_urls"] = {nginx.url("standby")};
  body["callback_url"] = receiver.url();
  std::string id = server->create_task(body);
  ASSERT_TRUE(server->wait_for_flow(id, 15s));
  long session = nginx.publisher_id("out");
  auto reading = std::async(std::launch::async,
                            [&] { return probe(nginx.url("out"), 24, dir.file("probe.log")); });
  auto marks = std::async(std::launch::async, [&] {
    return read_frame_marks(nginx.url("out"), 24, dir.file("marks.log"));
  });
  sleep_for(3s);
  primary.stop();
  double failover = seconds_until_source(id, "backup", 10s);
  EXPECT_GT(failover, 0) << "never switched to the standby";
  EXPECT_LE(failover, 3.5) << "stall threshold 2 s";  // runtime is written every 0.5 s
  sleep_for(3s);
  primary.start();
  double failback = seconds_until_source(id, "primary", 15s);
  EXPECT_GT(failback, 0) << "never went back to the primary";
  EXPECT_LE(failback, 9.0);
  EXPECT_EQ(nginx.publisher_id("out"), session) << "the destination saw a new publish session";

  // One timeline across both switches: no step back, no jump forward, nothing missing.
  ProbeReport report = reading.get();
  EXPECT_TRUE(is_continuous(report, "video", packets_in(24, 25), video_gap(25)));
  EXPECT_TRUE(
      is_continuous(report, "audio", packets_in(24, 43), aac_gap_across_segments(44100, 25)));
  // What went on air: the primary, the standby, the primary again.
  std::vector<int> runs;
  for (const FrameMark& mark : marks.get()) {
    if (runs.empty() || runs.back() != mark.file_index) runs.push_back(mark.file_index);
  }
  EXPECT_EQ(runs, (std::vector<int>{0, 1, 0}));

  ASSERT_EQ(server->call("DELETE", "/v1/p1/pull/stream/task?task_id=" + id).status, 200);
  std::vector<std::string> wanted = {"TaskStart", "TaskAlarm(SourceInterrupted)",
                                     "TaskAlarm(FailoverToBackup)", "TaskAlarm(FailbackToPrimary)",
                                     "TaskExit(Deleted)"};
  EXPECT_TRUE(eventually([&] { return is_subsequence(wanted, callbacks_of(id)); }, 15s))
      << joined(callbacks_of(id));
  EXPECT_EQ(callbacks_of(id).front(), "TaskStart");
  EXPECT_EQ(callbacks_of(id).back(), "TaskExit(Deleted)");
}

TEST_F(FailoverTest, WithNoSourceAtAllTheSlateKeepsTheDestinationAlive) {
  std::string id = server->create_task(live_task(nginx.url("primary"), nginx.url("out")));
  ASSERT_TRUE(server->wait_for_flow(id, 15s));
  long session = nginx.publisher_id("out");
  // The readers watch long enough for the source's return after 20 s of slate plus the relay's
  // reconnect backoff by then (several seconds, with jitter).
  auto arrivals =
      std::async(std::launch::async, [&] { return read_packet_arrivals(nginx.url("out"), 45); });
  auto marks = std::async(std::launch::async, [&] {
    return read_frame_marks(nginx.url("out"), 45, dir.file("slate-marks.log"));
  });
  sleep_for(2s);
  primary.stop();
  EXPECT_TRUE(eventually([&] { return source_of(id) == "slate"; }, 6s));
  EXPECT_EQ(server->status_of(id), "abnormal");
  sleep_for(20s);
  primary.start();
  EXPECT_TRUE(server->wait_for_flow(id, 15s));
  EXPECT_EQ(source_of(id), "primary");
  EXPECT_EQ(nginx.publisher_id("out"), session) << "the destination saw a new publish session";

  auto seen = arrivals.get();
  ASSERT_GT(seen.size(), 100u);
  double longest_silence = 0;
  for (size_t i = 1; i < seen.size(); ++i) {
    longest_silence = std::max(longest_silence, seen[i].wall_seconds - seen[i - 1].wall_seconds);
  }
  EXPECT_LT(longest_silence, 3.0) << "the destination went without media";
  // Per track, through the slate and back: every DTS above the one before it, no jump forward.
  for (bool is_video : {true, false}) {
    double last = -1;
    double largest_step = 0;
    int steps_back = 0;
    for (const PacketArrival& arrival : seen) {
      if (arrival.is_video != is_video) continue;
      if (last >= 0) {
        steps_back += arrival.dts_seconds <= last ? 1 : 0;
        largest_step = std::max(largest_step, arrival.dts_seconds - last);
      }
      last = arrival.dts_seconds;
    }
    EXPECT_EQ(steps_back, 0) << (is_video ? "video" : "audio");
    EXPECT_LE(largest_step, is_video ? video_gap(25) : aac_gap_across_segments(44100, 25))
        << (is_video ? "video" : "audio");
  }
  // Source pictures, then black (the slate), then the source again.
  std::vector<std::string> runs;
  for (const FrameMark& mark : marks.get()) {
    std::string what = mark.file_index == 0 && mark.clip_seconds > 0.6 ? "source"
                       : mark.file_index == 2                          ? "black"
                                                                       : "other";
    if (what == "other") continue;
    if (runs.empty() || runs.back() != what) runs.push_back(what);
  }
  EXPECT_TRUE(is_subsequence({"source", "black", "source"}, runs)) << joined(runs);
}

TEST_F(FailoverTest, ASwitchToTheStandbySendsWhatItHeldSinceItsKeyframeAtItsOwnPace) {
  // A standby with a keyframe every 12 s, started after the relay so that the relay holds it from
  // its first keyframe on: at the switch, about 7 s of it wait to go out.
  standby.stop();
  PublisherOptions options = marked(1);
  options.gop = 300;
  LivePublisher long_gop(nginx.url("standby-long"), dir.file("standby-long.log"), options);
  json body = live_task(nginx.url("primary"), nginx.url("out"));
  body["backup_source_type"] = "PullLivePushLive";
  body["backup_source_urls"] = {nginx.url("standby-long")};
  std::string id = server->create_task(body);
  ASSERT_TRUE(server->wait_for_flow(id, 15s));
  long_gop.start();
  ASSERT_TRUE(eventually([&] { return nginx.is_publishing("standby-long"); }, 15s));
  auto arrivals =
      std::async(std::launch::async, [&] { return read_packet_arrivals(nginx.url("out"), 14); });
  sleep_for(4s);
  primary.stop();
  std::vector<PacketArrival> seen = arrivals.get();
  EXPECT_EQ(source_of(id), "backup");
  // How far the media ran ahead of the wall clock at most, from its lowest point before: a
  // backlog sent in one burst shows as a rise of its whole length.
  double lowest = std::numeric_limits<double>::max();
  double lead = 0;
  int video = 0;
  for (const PacketArrival& arrival : seen) {
    if (!arrival.is_video) continue;
    ++video;
    double ahead = arrival.dts_seconds - arrival.wall_seconds;
    lowest = std::min(lowest, ahead);
    lead = std::max(lead, ahead - lowest);
  }
  EXPECT_GT(video, packets_in(8, 25));
  EXPECT_LT(lead, 1.5) << "the standby's backlog went out faster than real time";
  std::cerr << "largest lead of media over wall time: " << lead << " s (" << video
            << " pictures)\n";
}
