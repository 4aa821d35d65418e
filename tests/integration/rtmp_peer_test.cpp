// The relay's RTMP client against a scripted server, for what no installed server does on
// demand: optional commands refused, refusals and errors in the server's words, chunk sizes that
// change, aggregates, media on message stream 0, a small acknowledgement window, and a server
// that stops reading. A relay is always the real streamrelay binary; the other leg is a real
// nginx-rtmp.
#include <gtest/gtest.h>

#include "support/media_files.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/relay_server.h"
#include "support/scripted_rtmp_peer.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kStallThreshold = 2000ms;

class RtmpPeerTest : public ::testing::Test {
 protected:
  TempDir dir;
  NginxRtmp nginx{dir.file("nginx")};
  std::unique_ptr<RelayServer> server;
  std::unique_ptr<LivePublisher> source;

  void SetUp() override {
    server = std::make_unique<RelayServer>(
        dir.file("relay"),
        std::vector<std::string>{"--stall-threshold-ms", std::to_string(kStallThreshold.count())});
  }

  void TearDown() override {
    if (HasFailure() && server) {
      std::cerr << "---- server log ----\n" << server->log().substr(0, 20000);
    }
  }

  // A relay from a live stream on nginx to the peer.
  std::string relay_to(const ScriptedRtmpPeer& peer) {
    source = std::make_unique<LivePublisher>(nginx.url("src"), dir.file("source.log"));
    source->start();
    EXPECT_TRUE(eventually([&] { return nginx.is_publishing("src"); }, 15s));
    return server->create_task(live_task(nginx.url("src"), peer.url()));
  }

  // The task's last error once it holds `text`, or whatever it holds when time runs out.
  std::string wait_for_error(const std::string& id, const std::string& text) {
    std::string error;
    eventually(
        [&] {
          error = server->task_info(id)["runtime"].value("last_error", "");
          return error.find(text) != std::string::npos;
        },
        20s);
    return error;
  }

  // A generated FLV file for the peer to play.
  std::string flv_clip() {
    ClipOptions clip;
    clip.seconds = 30;
    clip.size = "320x240";
    clip.format = "flv";
    make_clip(dir.file("clip.flv"), clip);
    return dir.file("clip.flv");
  }

  // A relay from the peer to nginx; what nginx then carries. The relay's timeline hides a
  // source that stalled and came back, so the one session the peer played is checked too.
  ProbeReport relay_from(PeerScript script, ScriptedRtmpPeer::Record* seen = nullptr) {
    script.flv_path = flv_clip();
    ScriptedRtmpPeer peer(script);
    std::string id = server->create_task(live_task(peer.url(), nginx.url("out")));
    EXPECT_TRUE(server->wait_for_flow(id, 20s)) << server->task_info(id).dump();
    ProbeReport report = probe(nginx.url("out"), 5, dir.file("probe.log"));
    EXPECT_EQ(peer.record().sessions, 1) << "the source was played more than once";
    EXPECT_EQ(server->task_info(id)["runtime"].value("reconnects", -1), 0);
    if (seen) *seen = peer.record();
    return report;
  }

  int log_count(const std::string& text) {
    std::string log = server->log();
    int count = 0;
    for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++count;
    return count;
  }
};

}  // namespace

TEST_F(RtmpPeerTest, ErrorRepliesToReleaseStreamAndFcPublishDoNotStopThePublish) {
  PeerScript script;
  script.refusals["releaseStream"] = {"NetConnection.Call.Failed", "Method not found"};
  script.refusals["FCPublish"] = {"NetConnection.Call.Failed", "Method not found"};
  ScriptedRtmpPeer peer(script);
  std::string id = relay_to(peer);
  EXPECT_TRUE(eventually([&] { return peer.record().media_messages > 100; }, 20s))
      << server->task_info(id).dump();
  EXPECT_TRUE(server->wait_for_flow(id, 10s));
}

TEST_F(RtmpPeerTest, ARefusedConnectIsReportedInTheServersWords) {
  PeerScript script;
  script.refusals["connect"] = {"NetConnection.Connect.Rejected", "Authentication failed"};
  ScriptedRtmpPeer peer(script);
  std::string id = relay_to(peer);
  std::string error = wait_for_error(id, "NetConnection.Connect.Rejected: Authentication failed");
  EXPECT_NE(error.find("NetConnection.Connect.Rejected: Authentication failed"), std::string::npos)
      << error;
  EXPECT_EQ(peer.record().media_messages, 0);
}

TEST_F(RtmpPeerTest, ARefusedCreateStreamIsReportedInTheServersWords) {
  PeerScript script;
  script.refusals["createStream"] = {"NetConnection.Call.Failed", "Too many streams"};
  ScriptedRtmpPeer peer(script);
  std::string id = relay_to(peer);
  std::string error = wait_for_error(id, "NetConnection.Call.Failed: Too many streams");
  EXPECT_NE(error.find("NetConnection.Call.Failed: Too many streams"), std::string::npos) << error;
}

TEST_F(RtmpPeerTest, ARefusedPublishIsReportedInTheServersWords) {
  PeerScript script;
  script.refusals["publish"] = {"NetStream.Publish.BadName", "Stream key is in use"};
  ScriptedRtmpPeer peer(script);
  std::string id = relay_to(peer);
  std::string error = wait_for_error(id, "NetStream.Publish.BadName: Stream key is in use");
  EXPECT_NE(error.find("NetStream.Publish.BadName: Stream key is in use"), std::string::npos)
      << error;
}

TEST_F(RtmpPeerTest, AnErrorStatusWhilePublishingIsReportedByItsCode) {
  PeerScript script;
  script.fails_publishing_after = 100;
  script.publishing_failure = {"NetStream.Publish.Rejected", "The stream key was revoked"};
  ScriptedRtmpPeer peer(script);
  std::string id = relay_to(peer);
  std::string error = wait_for_error(id, "NetStream.Publish.Rejected");
  EXPECT_NE(error.find("NetStream.Publish.Rejected: The stream key was revoked"), std::string::npos)
      << error;
}

TEST_F(RtmpPeerTest, ChunkSizesChangedMidStreamAreFollowed) {
  PeerScript script;
  script.chunk_sizes = {4096, 128, 1500, 65536, 77};
  script.messages_per_chunk_size = 20;
  ProbeReport report = relay_from(script);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(5, 25), video_gap(25)));
}

TEST_F(RtmpPeerTest, AggregateMessagesArePlayedTagByTag) {
  PeerScript script;
  script.tags_per_aggregate = 6;
  ProbeReport report = relay_from(script);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(5, 25), video_gap(25)));
}

TEST_F(RtmpPeerTest, MediaOnMessageStreamZeroIsPlayed) {
  PeerScript script;
  script.media_stream_id = 0;
  ProbeReport report = relay_from(script);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(5, 25), video_gap(25)));
}

TEST_F(RtmpPeerTest, ASmallAcknowledgementWindowIsAcknowledgedInTime) {
  // The peer sends nothing while a window's worth of bytes goes unacknowledged.
  PeerScript script;
  script.ack_window = 1000;
  ScriptedRtmpPeer::Record seen;
  ProbeReport report = relay_from(script, &seen);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(5, 25), video_gap(25)));
  // A server's usual window (megabytes) would have seen no acknowledgement in these seconds.
  EXPECT_GT(seen.acknowledgements, 20) << "the window was not in play";
}

TEST_F(RtmpPeerTest, ADestinationThatStopsReadingIsReportedWithinTheStallThreshold) {
  PeerScript script;
  script.stops_reading_after = 100;
  ScriptedRtmpPeer peer(script);
  std::string id = relay_to(peer);
  ASSERT_TRUE(eventually([&] { return peer.record().stopped_reading_at.has_value(); }, 20s));
  ASSERT_EQ(log_count("event=push_failed"), 0);
  ASSERT_TRUE(eventually([&] { return log_count("event=push_failed") > 0; }, 90s))
      << "the stall was never reported";
  auto reported = Clock::now();
  ScriptedRtmpPeer::Record record = peer.record();
  ASSERT_TRUE(record.last_took_bytes_at);
  auto after =
      std::chrono::duration_cast<std::chrono::milliseconds>(reported - *record.last_took_bytes_at);
  auto since_stop =
      std::chrono::duration_cast<std::chrono::milliseconds>(reported - *record.stopped_reading_at);
  RecordProperty("reported_after_last_bytes_ms", static_cast<int>(after.count()));
  RecordProperty("reported_after_stop_ms", static_cast<int>(since_stop.count()));
  // The threshold, and the time the service takes to look (a write or two, the log line).
  EXPECT_LE(after, kStallThreshold + 700ms)
      << "reported " << after.count() << " ms after the destination took its last bytes ("
      << since_stop.count() << " ms after it stopped reading)";
  EXPECT_NE(wait_for_error(id, "destination").find("destination"), std::string::npos);
}

TEST_F(RtmpPeerTest, AStreamNameNginxAlreadyHasIsReportedByItsCode) {
  // Not the scripted peer: nginx-rtmp itself refuses a second publisher of a name.
  LivePublisher first(nginx.url("taken"), dir.file("first.log"));
  first.start();
  ASSERT_TRUE(eventually([&] { return nginx.is_publishing("taken"); }, 15s));
  source = std::make_unique<LivePublisher>(nginx.url("src"), dir.file("source.log"));
  source->start();
  ASSERT_TRUE(eventually([&] { return nginx.is_publishing("src"); }, 15s));
  std::string id = server->create_task(live_task(nginx.url("src"), nginx.url("taken")));
  std::string error = wait_for_error(id, "NetStream.Publish.BadName");
  EXPECT_NE(error.find("NetStream.Publish.BadName"), std::string::npos) << error;
}

TEST_F(RtmpPeerTest, ASourceWhoseTimestampsCrossTwoToTheThirtyFirstRelaysWithoutABreak) {
  PeerScript script;
  script.timestamp_offset = (uint32_t{1} << 31) - 3000;  // crosses three seconds in
  ProbeReport report = relay_from(script);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(5, 25), video_gap(25)));
  EXPECT_TRUE(is_continuous(report, "audio", packets_in(5, 43), aac_gap(44100)));
}

TEST_F(RtmpPeerTest, ASourceWhoseTimestampsWrapAtTwoToTheThirtySecondRelaysWithoutABreak) {
  PeerScript script;
  script.timestamp_offset = static_cast<uint32_t>((uint64_t{1} << 32) - 3000);  // wraps to 0
  ProbeReport report = relay_from(script);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(5, 25), video_gap(25)));
  EXPECT_TRUE(is_continuous(report, "audio", packets_in(5, 43), aac_gap(44100)));
}
