// PullLivePushLive end to end: ffmpeg publishes to a real nginx-rtmp, streamrelay relays it to
// another stream of that nginx, ffprobe reads what arrives.
#include <gtest/gtest.h>

#include <future>

#include "net/url_masking.h"
#include "support/media_files.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"
#include "task/time_format.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class LiveRelayTest : public ::testing::Test {
 protected:
  TempDir dir;
  NginxRtmp nginx{dir.file("nginx")};
  LivePublisher publisher{nginx.url("src"), dir.file("publisher.log")};
  std::unique_ptr<RelayServer> server;

  void SetUp() override {
    publisher.start();
    ASSERT_TRUE(eventually([&] { return nginx.is_publishing("src"); }, 15s)) << "publisher";
    server = std::make_unique<RelayServer>(dir.file("relay"));
  }

  void TearDown() override {
    if (HasFailure() && server)
      std::cerr << "---- server log ----\n" << server->log().substr(0, 20000);
  }

  std::string relay_to(const std::string& stream) {
    return server->create_task(live_task(nginx.url("src"), nginx.url(stream)));
  }

  ProbeReport read_destination(const std::string& stream, int seconds) {
    return probe(nginx.url(stream), seconds, dir.file("probe-" + stream + ".log"));
  }
};

}  // namespace

TEST_F(LiveRelayTest, TheDestinationReceivesBothTracksAtTheSourceRateWithMonotonicDts) {
  relay_to("dst");
  ASSERT_TRUE(eventually([&] { return nginx.is_publishing("dst"); }, 10s));
  ProbeReport report = read_destination("dst", 20);
  ASSERT_TRUE(report.is_ok) << report.error;
  EXPECT_TRUE(report.has_stream("video"));
  EXPECT_TRUE(report.has_stream("audio"));
  EXPECT_NEAR(report.measured_rate("video"), 25.0, 1.0);
  EXPECT_GT(report.dts_span("video"), 18.0);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(20, 25), video_gap(25)));
  // 44.1 kHz AAC: about 43 frames a second.
  EXPECT_TRUE(is_continuous(report, "audio", packets_in(20, 43), aac_gap(44100)));
}

TEST_F(LiveRelayTest, ASourceThatDropsAndReturnsKeepsOneDestinationSession) {
  std::string id = relay_to("dst");
  ASSERT_TRUE(server->wait_for_flow(id, 15s));
  long session = nginx.publisher_id("dst");
  ASSERT_GE(session, 0);
  // Read the destination across the whole outage.
  auto reading = std::async(std::launch::async, [&] {
    return probe(nginx.url("dst"), 14, dir.file("probe-outage.log"));
  });
  sleep_for(2s);
  publisher.stop();
  EXPECT_TRUE(server->wait_for_status(id, "abnormal", 10s));
  EXPECT_FALSE(server->task_info(id)["runtime"]["last_error"].get<std::string>().empty());
  sleep_for(5s);
  publisher.start();
  EXPECT_TRUE(server->wait_for_flow(id, 20s));
  EXPECT_EQ(nginx.publisher_id("dst"), session) << "the destination saw a new publish session";
  // One timeline through the outage: no step back and no jump forward on either track.
  ProbeReport during = reading.get();
  EXPECT_TRUE(is_continuous(during, "video", packets_in(14, 25), video_gap(25)));
  EXPECT_TRUE(
      is_continuous(during, "audio", packets_in(14, 43), aac_gap_across_segments(44100, 25)));
  ProbeReport after = read_destination("dst", 4);
  EXPECT_TRUE(is_continuous(after, "video", packets_in(4, 25), video_gap(25)));
  EXPECT_GE(server->task_info(id)["runtime"]["reconnects"].get<int>(), 1);
  ASSERT_EQ(server->call("DELETE", "/v1/p1/pull/stream/task?task_id=" + id).status, 200);
  ASSERT_TRUE(eventually([&] { return !nginx.is_publishing("dst"); }, 5s));
  EXPECT_TRUE(eventually([&] { return nginx.ended_publish_sessions("dst") == 1; }, 5s))
      << "publish sessions: " << nginx.ended_publish_sessions("dst");
}

TEST_F(LiveRelayTest, ASourceThatGoesSilentOnAnOpenConnectionIsDetected) {
  std::string id = relay_to("dst");
  ASSERT_TRUE(server->wait_for_flow(id, 15s));
  long session = nginx.publisher_id("dst");
  publisher.suspend();
  EXPECT_TRUE(server->wait_for_status(id, "abnormal", 8s));
  publisher.resume();
  EXPECT_TRUE(server->wait_for_flow(id, 20s));
  EXPECT_EQ(nginx.publisher_id("dst"), session);
  EXPECT_TRUE(is_continuous(read_destination("dst", 3), "video", packets_in(3, 25), video_gap(25)));
}

TEST_F(LiveRelayTest, ADestinationThatRestartsIsReconnected) {
  std::string id = relay_to("dst");
  ASSERT_TRUE(server->wait_for_flow(id, 15s));
  nginx.stop();
  EXPECT_TRUE(server->wait_for_status(id, "abnormal", 10s));
  sleep_for(3s);
  nginx.start();
  publisher.stop();
  publisher.start();
  EXPECT_TRUE(eventually([&] { return nginx.is_publishing("dst"); }, 30s));
  EXPECT_TRUE(server->wait_for_flow(id, 15s));
  ProbeReport report = read_destination("dst", 4);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(4, 25), video_gap(25)));
  EXPECT_TRUE(is_continuous(report, "audio", packets_in(4, 43), aac_gap(44100)));
}

TEST_F(LiveRelayTest, ATaskRunsInsideItsWindowOnly) {
  using Clock = std::chrono::system_clock;
  int64_t start =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count() + 4;
  json body = live_task(nginx.url("src"), nginx.url("dst"));
  body["start_time"] = streamrelay::task::format_utc(start);
  body["end_time"] = streamrelay::task::format_utc(start + 10);
  std::string id = server->create_task(body);
  EXPECT_EQ(server->status_of(id), "waiting");
  // When the ingest sees the push begin and end, against the window (unix seconds).
  auto seconds_now = [] {
    return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
  };
  double first_seen = 0;
  double last_seen = 0;
  eventually(
      [&] {
        if (nginx.is_publishing("dst")) {
          if (first_seen == 0) first_seen = seconds_now();
          last_seen = seconds_now();
        }
        return last_seen > 0 && seconds_now() > static_cast<double>(start + 10) + 2;
      },
      25s);
  // Never before the window (the ingest is polled every 50 ms); after its start by at most the
  // source's open and first keyframe (a second each, more on a loaded machine) and after its end
  // by at most a second.
  EXPECT_GE(first_seen, static_cast<double>(start) - 0.1) << "the push began before start_time";
  EXPECT_LE(first_seen, static_cast<double>(start) + 2.0) << "the push began late";
  EXPECT_GE(last_seen, static_cast<double>(start + 10) - 0.5) << "the push ended early";
  EXPECT_LE(last_seen, static_cast<double>(start + 10) + 1.0) << "the push ended late";
  EXPECT_TRUE(server->wait_for_status(id, "finished", 5s));
  EXPECT_EQ(nginx.ended_publish_sessions("dst"), 1);
}

TEST_F(LiveRelayTest, PauseStopsThePushEnableResumesItDeleteEndsIt) {
  std::string id = relay_to("dst");
  ASSERT_TRUE(server->wait_for_flow(id, 15s));
  auto modify = [&](const char* status) {
    return server->call("PUT", "/v1/p1/pull/stream/task", {{"task_id", id}, {"status", status}})
        .status;
  };
  ASSERT_EQ(modify("pause"), 200);
  EXPECT_EQ(server->status_of(id), "paused");
  EXPECT_TRUE(eventually([&] { return !nginx.is_publishing("dst"); }, 3s));
  EXPECT_TRUE(eventually([&] { return nginx.unpublishes("dst").clean == 1; }, 3s))
      << "a pause ends the publish session cleanly";
  ASSERT_EQ(modify("enable"), 200);
  EXPECT_TRUE(eventually([&] { return nginx.is_publishing("dst"); }, 10s));
  EXPECT_TRUE(is_continuous(read_destination("dst", 3), "video", packets_in(3, 25), video_gap(25)))
      << "no pictures after enable";
  ASSERT_EQ(server->call("DELETE", "/v1/p1/pull/stream/task?task_id=" + id).status, 200);
  EXPECT_TRUE(eventually([&] { return !nginx.is_publishing("dst"); }, 3s));
  EXPECT_TRUE(eventually([&] { return nginx.unpublishes("dst").clean == 2; }, 3s));
  EXPECT_EQ(nginx.unpublishes("dst").abrupt, 0);
  EXPECT_EQ(server->call("GET", "/v1/p1/pull/stream/task?task_id=" + id).status, 404);
}

TEST_F(LiveRelayTest, ANewSourceByModifyKeepsTheDestinationSession) {
  // Two sources whose pictures say which one they are.
  PublisherOptions first;
  first.mark_index = 0;
  LivePublisher one(nginx.url("one"), dir.file("publisher-one.log"), first);
  PublisherOptions second;
  second.mark_index = 1;
  LivePublisher two(nginx.url("two"), dir.file("publisher-two.log"), second);
  one.start();
  two.start();
  ASSERT_TRUE(
      eventually([&] { return nginx.is_publishing("one") && nginx.is_publishing("two"); }, 15s));
  std::string id = server->create_task(live_task(nginx.url("one"), nginx.url("dst")));
  ASSERT_TRUE(server->wait_for_flow(id, 15s));
  long session = nginx.publisher_id("dst");
  auto marks = std::async(std::launch::async, [&] {
    return read_frame_marks(nginx.url("dst"), 10, dir.file("modify-marks.log"));
  });
  sleep_for(3s);
  json change = {{"task_id", id}, {"source_urls", {nginx.url("two")}}};
  ASSERT_EQ(server->call("PUT", "/v1/p1/pull/stream/task", change).status, 200);
  EXPECT_TRUE(eventually(
      [&] {
        return server->task_info(id)["runtime"]["source_url"] ==
               streamrelay::net::mask_url(nginx.url("two"));
      },
      10s));
  // On air: the first source, then the second, on the same publish session.
  std::vector<int> runs;
  for (const FrameMark& mark : marks.get()) {
    if (mark.file_index < 0) continue;
    if (runs.empty() || runs.back() != mark.file_index) runs.push_back(mark.file_index);
  }
  EXPECT_EQ(runs, (std::vector<int>{0, 1}));
  EXPECT_EQ(nginx.publisher_id("dst"), session);
  ProbeReport report = read_destination("dst", 3);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(3, 25), video_gap(25)));
}

TEST_F(LiveRelayTest, AfterKillNineTheTaskRunsAgainOnRestart) {
  std::string id = relay_to("dst");
  ASSERT_TRUE(server->wait_for_flow(id, 15s));
  server->kill9();
  EXPECT_TRUE(eventually([&] { return !nginx.is_publishing("dst"); }, 10s));
  EXPECT_EQ(nginx.unpublishes("dst").abrupt, 1);
  server->start();
  EXPECT_TRUE(eventually([&] { return nginx.is_publishing("dst"); }, 10s));
  EXPECT_TRUE(is_continuous(read_destination("dst", 3), "video", packets_in(3, 25), video_gap(25)))
      << "no pictures after the restart";
}

TEST_F(LiveRelayTest, SigtermStopsRelaysCleanlyAndTheyResumeAtTheNextStart) {
  std::string id = relay_to("dst");
  ASSERT_TRUE(server->wait_for_flow(id, 15s));
  EXPECT_EQ(server->terminate(), 0);
  EXPECT_FALSE(nginx.is_publishing("dst"));
  EXPECT_TRUE(eventually([&] { return nginx.unpublishes("dst").clean == 1; }, 3s))
      << "the relay did not end its publish session before exiting";
  EXPECT_EQ(nginx.unpublishes("dst").abrupt, 0);
  server->start();
  EXPECT_TRUE(eventually([&] { return nginx.is_publishing("dst"); }, 10s));
  EXPECT_TRUE(is_continuous(read_destination("dst", 3), "video", packets_in(3, 25), video_gap(25)))
      << "no pictures after the restart";
}

TEST_F(LiveRelayTest, FiftyConcurrentRelaysAllReachTheirDestinations) {
  constexpr int kRelays = 50;
  for (int i = 0; i < kRelays; ++i) relay_to("dst" + std::to_string(i));
  auto publishing = [&] {
    int count = 0;
    std::string xml = nginx.stat();
    for (int i = 0; i < kRelays; ++i) {
      count += xml.find("<name>dst" + std::to_string(i) + "</name>") != std::string::npos;
    }
    return count;
  };
  EXPECT_TRUE(eventually([&] { return publishing() == kRelays; }, 90s))
      << publishing() << " of " << kRelays << " destinations publishing";
  std::vector<std::future<ProbeReport>> reads;
  for (int i = 0; i < kRelays; ++i) {
    reads.push_back(std::async(std::launch::async, [this, i] {
      return probe(nginx.url("dst" + std::to_string(i)), 3,
                   dir.file("probe-many-" + std::to_string(i) + ".log"));
    }));
    if (reads.size() % 10 == 0) reads.back().wait();  // ten readers at a time
  }
  int readable = 0;
  for (int i = 0; i < kRelays; ++i) {
    ProbeReport report = reads[i].get();
    bool is_good = report.has_stream("audio") &&
                   is_continuous(report, "video", packets_in(3, 25), video_gap(25));
    EXPECT_TRUE(is_good)
        << "dst" << i << ": "
        << is_continuous(report, "video", packets_in(3, 25), video_gap(25)).message();
    readable += is_good ? 1 : 0;
  }
  EXPECT_EQ(readable, kRelays);
  json page = server->call("GET", "/v1/p1/pull/stream/task?limit=100").json();
  for (const json& info : page["task_infos"]) EXPECT_EQ(info["status"], "running") << info.dump();
}

TEST_F(LiveRelayTest, AnHlsSourceIsRelayed) {
  LivePublisher hls_publisher(nginx.url("src", "hls"), dir.file("publisher-hls.log"));
  hls_publisher.start();
  ASSERT_TRUE(eventually(
      [&] { return HttpClient().request("GET", nginx.hls_url("src")).status == 200; }, 20s));
  std::string id = server->create_task(live_task(nginx.hls_url("src"), nginx.url("dst")));
  ASSERT_TRUE(server->wait_for_flow(id, 20s)) << server->task_info(id).dump();
  ProbeReport report = read_destination("dst", 6);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(6, 25), video_gap(25)));
  EXPECT_TRUE(is_continuous(report, "audio", packets_in(6, 43), aac_gap(44100)));
}

TEST_F(LiveRelayTest, AnSrtSourceIsRelayed) {
  std::string srt = "srt://127.0.0.1:" + std::to_string(free_port());
  PublisherOptions options;
  options.format = "mpegts";
  LivePublisher srt_publisher(srt + "?mode=listener", dir.file("publisher-srt.log"), options);
  srt_publisher.start();
  std::string id = server->create_task(live_task(srt, nginx.url("dst")));
  ASSERT_TRUE(server->wait_for_flow(id, 20s)) << server->task_info(id).dump();
  ProbeReport report = read_destination("dst", 6);
  EXPECT_NEAR(report.measured_rate("video"), 25.0, 1.5);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(6, 25), video_gap(25)));
  EXPECT_TRUE(is_continuous(report, "audio", packets_in(6, 43), aac_gap(44100)));
}

TEST_F(LiveRelayTest, APushNearingTwoToTheThirtyFirstMillisecondsRenewsItsSessionOnAKeyframe) {
  // The output timeline starts four seconds before the renewal point (ten minutes before
  // 2^31 ms), as a session would after 24.8 days.
  int64_t renewal = (int64_t{1} << 31) - 10 * 60 * 1000;
  server.reset();
  server = std::make_unique<RelayServer>(
      dir.file("relay-long"),
      std::vector<std::string>{"--output-start-ms", std::to_string(renewal - 4000)});
  std::string id = relay_to("dst");
  ASSERT_TRUE(server->wait_for_flow(id, 15s));
  ProbeReport before = read_destination("dst", 2);
  ASSERT_TRUE(is_continuous(before, "video", packets_in(2, 25), video_gap(25)));
  EXPECT_GT(before.packets.front().dts, (renewal - 4000) / 1000.0 - 1) << "not a long session";
  // A clean unpublish and a new session, announced with an alarm; pictures go on.
  EXPECT_TRUE(eventually([&] { return nginx.publish_sessions("dst").size() == 2; }, 15s));
  EXPECT_EQ(nginx.unpublishes("dst").clean, 1);
  EXPECT_TRUE(eventually(
      [&] {
        for (const json& event : server->events(id)) {
          if (event["data"].value("alarm", "") == "PushSessionRenewed") return true;
        }
        return false;
      },
      5s));
  // The new session's timeline starts over from 0, as after any renewal: no second one follows.
  ProbeReport after = read_destination("dst", 3);
  EXPECT_TRUE(is_continuous(after, "video", packets_in(3, 25), video_gap(25)));
  ASSERT_FALSE(after.packets.empty());
  EXPECT_LT(after.packets.front().dts, 120.0) << "the renewed session did not start over";
  EXPECT_EQ(nginx.publish_sessions("dst").size(), 2u);
  EXPECT_EQ(server->status_of(id), "running");
}
