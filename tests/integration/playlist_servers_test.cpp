// Playlists from the file servers people really have: one that ignores range requests (Python's
// http.server), one that answers 403, redirects. Checked on the pictures and frames that arrive
// at a real nginx-rtmp, on the task's status and on the alarms a real HTTP receiver gets.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <set>

#include "support/callback_receiver.h"
#include "support/media_files.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/plain_file_server.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class PlaylistServersTest : public ::testing::Test {
 protected:
  TempDir dir;
  NginxRtmp nginx{dir.file("nginx")};
  PlainFileServer web{dir.file("web")};
  CallbackReceiver receiver;
  std::unique_ptr<RelayServer> server;

  void SetUp() override {
    receiver.start();
    server = std::make_unique<RelayServer>(dir.file("relay"));
  }

  void TearDown() override {
    if (HasFailure() && server)
      std::cerr << "---- server log ----\n" << server->log().substr(0, 20000);
  }

  // An MP4 as ffmpeg writes it by default: its index at the end.
  void clip(const std::string& name, int file_index, double seconds,
            const std::string& bitrate = "") {
    ClipOptions options;
    options.file_index = file_index;
    options.seconds = seconds;
    options.video_bitrate = bitrate;
    make_clip(dir.file("web") + "/" + name, options);
  }

  json playlist(const std::vector<std::string>& urls, const std::string& loops) {
    return {{"source_type", "PullVodPushLive"},
            {"source_urls", urls},
            {"destination_url", nginx.url("out")},
            {"vod_loop_time", loops},
            {"callback_url", receiver.url()}};
  }

  std::vector<json> alarms(const std::string& kind) {
    std::vector<json> out;
    for (const ReceivedCallback& callback : receiver.received()) {
      json body = callback.json();
      if (body.value("event_type", "") == "TaskAlarm" && body["data"].value("alarm", "") == kind) {
        out.push_back(body);
      }
    }
    return out;
  }
};

}  // namespace

TEST_F(PlaylistServersTest, FilesFromAServerWithoutRangeRequestsPlayEveryFrame) {
  // Larger than what libavformat buffers while it probes (2 MB), so reading one out of order
  // needs a server that can seek, or a local copy.
  for (int i = 0; i < 3; ++i) clip("f" + std::to_string(i) + ".mp4", i, 6, "4M");
  ASSERT_GT(std::filesystem::file_size(dir.file("web") + "/f0.mp4"), 2500u * 1024);
  auto reading = std::async(std::launch::async,
                            [&] { return probe(nginx.url("out"), 40, dir.file("probe.log")); });
  ASSERT_TRUE(eventually([&] { return nginx.players("out") >= 1; }, 10s)) << "the reader";
  std::string id =
      server->create_task(playlist({web.url("f0.mp4"), web.url("f1.mp4"), web.url("f2.mp4")}, "2"));
  ProbeReport report = reading.get();
  // Two rounds of three 6 s files at 25 fps: 900 frames, one continuous timeline.
  EXPECT_NEAR(report.count("video"), 900, 10);
  EXPECT_TRUE(is_continuous(report, "video", 890, video_gap(25)));
  EXPECT_TRUE(server->wait_for_status(id, "finished", 15s));
  EXPECT_EQ(server->task_info(id)["runtime"]["looped_times"], 2);
  EXPECT_TRUE(alarms("SourceFileFailed").empty());
  EXPECT_EQ(web.requests().find("\" 206 "), std::string::npos) << "the server answered a range";
}

TEST_F(PlaylistServersTest, AFileOverTheSpoolLimitIsSkippedWithAnAlarmAndTheOthersPlay) {
  server.reset();
  server = std::make_unique<RelayServer>(dir.file("relay-small-spool"),
                                         std::vector<std::string>{"--spool-max-mb", "1"});
  clip("small-0.mp4", 0, 4);
  clip("large.mp4", 1, 10, "3M");  // about 4 MB
  clip("small-2.mp4", 2, 4);
  ASSERT_GT(std::filesystem::file_size(dir.file("web") + "/large.mp4"), 2u * 1024 * 1024);
  auto marks = std::async(std::launch::async, [&] {
    return read_frame_marks(nginx.url("out"), 9, dir.file("marks.log"));
  });
  ASSERT_TRUE(eventually([&] { return nginx.players("out") >= 1; }, 10s)) << "the reader";
  std::string id = server->create_task(
      playlist({web.url("small-0.mp4"), web.url("large.mp4"), web.url("small-2.mp4")}, "1"));
  std::set<int> shown;
  for (const FrameMark& mark : marks.get()) shown.insert(mark.file_index);
  EXPECT_EQ(shown, (std::set<int>{0, 2}));
  ASSERT_TRUE(eventually([&] { return !alarms("SourceFileFailed").empty(); }, 10s));
  json alarm = alarms("SourceFileFailed").front()["data"];
  EXPECT_EQ(alarm["file_index"], 1);
  EXPECT_NE(alarm["error"].get<std::string>().find("spool limit"), std::string::npos) << alarm;
  EXPECT_TRUE(server->wait_for_status(id, "finished", 15s));
}

TEST_F(PlaylistServersTest, APlaylistWhoseFilesAreForbiddenIsAbnormalUntilTheyAreServed) {
  clip("a.mp4", 0, 4);
  clip("b.mp4", 1, 4);
  web.forbid(true);
  std::string id = server->create_task(playlist({web.url("a.mp4"), web.url("b.mp4")}, "1"));
  EXPECT_TRUE(server->wait_for_status(id, "abnormal", 5s));
  json runtime = server->task_info(id)["runtime"];
  EXPECT_NE(runtime["last_error"].get<std::string>().find("403"), std::string::npos) << runtime;
  ASSERT_TRUE(eventually([&] { return !alarms("SourceFileFailed").empty(); }, 10s));
  json alarm = alarms("SourceFileFailed").front()["data"];
  EXPECT_NE(alarm["error"].get<std::string>().find("403"), std::string::npos) << alarm;
  EXPECT_NE(alarm["file_url"].get<std::string>().find("/a.mp4"), std::string::npos) << alarm;
  // Failing rounds are retried, never counted, and never finish the task.
  sleep_for(4s);
  EXPECT_EQ(server->task_info(id)["runtime"]["looped_times"], 0);
  EXPECT_EQ(server->status_of(id), "abnormal");

  web.forbid(false);
  auto marks = std::async(std::launch::async, [&] {
    return read_frame_marks(nginx.url("out"), 6, dir.file("marks.log"));
  });
  EXPECT_TRUE(eventually([&] { return !alarms("SourceRecovered").empty(); }, 30s));
  EXPECT_FALSE(marks.get().empty()) << "no pictures once the files were served";
  EXPECT_TRUE(server->wait_for_status(id, "finished", 20s));
  EXPECT_EQ(server->task_info(id)["runtime"]["looped_times"], 1);
}

TEST_F(PlaylistServersTest, RedirectsAreFollowedWithinTheEgressPolicy) {
  clip("target.mp4", 1, 4);
  // To a file of the same (allowed) server, and to a cloud metadata address, never allowed.
  web.set_redirects({web.url("target.mp4"), "http://169.254.169.254/latest/meta-data/x.mp4"});
  std::string allowed = server->create_task(playlist({web.redirect_url(0)}, "1"));
  auto marks = std::async(std::launch::async, [&] {
    return read_frame_marks(nginx.url("out"), 3, dir.file("marks.log"));
  });
  auto seen = marks.get();
  ASSERT_FALSE(seen.empty()) << "the redirected file did not play";
  EXPECT_EQ(seen.front().file_index, 1);
  EXPECT_TRUE(server->wait_for_status(allowed, "finished", 15s));

  json refused_body = playlist({web.redirect_url(1)}, "1");
  refused_body["destination_url"] = nginx.url("refused");
  std::string refused = server->create_task(refused_body);
  EXPECT_TRUE(server->wait_for_status(refused, "abnormal", 10s));
  std::string error = server->task_info(refused)["runtime"]["last_error"];
  EXPECT_NE(error.find("link-local"), std::string::npos) << error;
  EXPECT_FALSE(nginx.is_publishing("refused"));
}
