// URL shapes users bring (an application instance, a query after the stream, YouTube's backup
// ingest), published and pulled by the ffmpeg programs and by a relay against one nginx-rtmp:
// what nginx records of the relay's connect and publish or play must be what it records of
// ffmpeg's, and the relay must have used its own RTMP client, not libavformat's.
#include <gtest/gtest.h>

#include <optional>

#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/relay_fixture.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using Session = NginxRtmp::ClientSession;

namespace {

// Everything nginx recorded of a session but its connection number and the client's name.
std::string recorded(const Session& session) {
  return "connect app='" + session.app + "' args='" + session.app_args + "' tc_url='" +
         session.tc_url + "'; " + session.command + " name='" + session.name + "' args='" +
         session.args + "' type='" + session.type + "'";
}

class RtmpUrlsTest : public RelayWithNginxTest {
 protected:
  std::string url(const std::string& path) const {
    return "rtmp://127.0.0.1:" + std::to_string(nginx.rtmp_port()) + "/" + path;
  }

  // The one session that connected after the first `known` and got to `command`.
  std::optional<Session> new_session(size_t known, const std::string& command) {
    std::optional<Session> found;
    eventually(
        [&] {
          std::vector<Session> sessions = nginx.client_sessions();
          for (size_t i = known; i < sessions.size(); ++i) {
            if (sessions[i].command == command) found = sessions[i];
          }
          return found.has_value();
        },
        10s);
    return found;
  }

  // Four seconds of a test pattern published to `path` by the ffmpeg program.
  std::optional<Session> publish_with_ffmpeg(const std::string& path) {
    size_t known = nginx.client_sessions().size();
    Process ffmpeg(
        {"ffmpeg", "-hide_banner", "-nostdin", "-re", "-f", "lavfi", "-i",
         "testsrc2=size=160x120:rate=25", "-t", "4", "-c:v", "libx264", "-f", "flv", url(path)},
        dir.file("ffmpeg.log"));
    EXPECT_EQ(ffmpeg.wait(30s), 0) << read_file(dir.file("ffmpeg.log"));
    return new_session(known, "publish");
  }

  // A relay from a live source on nginx to `path`, until media flows.
  std::optional<Session> publish_with_relay(const std::string& path) {
    LivePublisher source(nginx.url("src"), dir.file("source.log"));
    source.start();
    EXPECT_TRUE(eventually([&] { return nginx.is_publishing("src"); }, 15s));
    size_t known = nginx.client_sessions().size();
    std::string id = server->create_task(live_task(nginx.url("src"), url(path)));
    EXPECT_TRUE(server->wait_for_flow(id, 20s)) << server->task_info(id).dump();
    return new_session(known, "publish");
  }

  void expect_relay_publishes_as_ffmpeg(const std::string& path) {
    std::optional<Session> by_ffmpeg = publish_with_ffmpeg(path);
    std::optional<Session> by_relay = publish_with_relay(path);
    ASSERT_TRUE(by_ffmpeg) << "ffmpeg's publish was not recorded";
    ASSERT_TRUE(by_relay) << "the relay's publish was not recorded";
    EXPECT_EQ(recorded(*by_relay), recorded(*by_ffmpeg));
    EXPECT_FALSE(has_fallen_back()) << "left to libavformat";
  }

  // Whether the relay handed the URL to libavformat's client rather than its own.
  bool has_fallen_back() { return server->log().find("event=rtmp_fallback") != std::string::npos; }
};

}  // namespace

TEST_F(RtmpUrlsTest, AnAppInstanceIsPublishedAsFfmpegPublishesIt) {
  expect_relay_publishes_as_ffmpeg("app/inst/stream");
}

TEST_F(RtmpUrlsTest, AQueryAfterTheStreamIsPublishedAsFfmpegPublishesIt) {
  expect_relay_publishes_as_ffmpeg("live/key?token=x");
}

TEST_F(RtmpUrlsTest, YouTubesBackupIngestIsPublishedAsFfmpegPublishesIt) {
  expect_relay_publishes_as_ffmpeg("live2?backup=1/key");
}

TEST_F(RtmpUrlsTest, AnAppInstanceWithAQueryIsPulledAsFfprobePullsIt) {
  LivePublisher camera(url("app/inst/cam"), dir.file("camera.log"));
  camera.start();
  ASSERT_TRUE(eventually([&] { return nginx.is_publishing("cam"); }, 15s));
  std::string source = url("app/inst/cam?token=y");
  size_t known = nginx.client_sessions().size();
  probe(source, 2, dir.file("probe-source.log"));
  std::optional<Session> by_ffprobe = new_session(known, "play");
  known = nginx.client_sessions().size();
  std::string id = server->create_task(live_task(source, nginx.url("out")));
  ASSERT_TRUE(server->wait_for_flow(id, 20s)) << server->task_info(id).dump();
  std::optional<Session> by_relay = new_session(known, "play");
  ASSERT_TRUE(by_ffprobe) << "ffprobe's play was not recorded";
  ASSERT_TRUE(by_relay) << "the relay's play was not recorded";
  EXPECT_EQ(recorded(*by_relay), recorded(*by_ffprobe));
  EXPECT_FALSE(has_fallen_back()) << "left to libavformat";
  ProbeReport report = probe(nginx.url("out"), 4, dir.file("probe-out.log"));
  EXPECT_TRUE(is_continuous(report, "video", packets_in(4, 25), video_gap(25)));
}
