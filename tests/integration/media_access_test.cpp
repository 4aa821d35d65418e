// What a relay may open and whom it trusts: file sources only inside the media roots (symlinks
// and paths swapped after validation included), every URL an HLS playlist opens in turn, and
// TLS peers verified. Each test performs the attack and checks what arrives at the destination.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <regex>

#include "support/callback_receiver.h"
#include "support/media_files.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"
#include "support/tls_ingest.h"
#include "task/time_format.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Pictures of the media root's clips carry file index 0; the secret outside it, index 3.
constexpr int kInsideIndex = 0;
constexpr int kSecretIndex = 3;

class MediaAccessTest : public ::testing::Test {
 protected:
  TempDir dir;
  NginxRtmp nginx{dir.file("nginx")};
  std::string root = dir.file("media");
  std::string outside = dir.file("outside");
  std::unique_ptr<RelayServer> server;

  void SetUp() override {
    fs::create_directories(root);
    fs::create_directories(outside);
    ClipOptions clip;
    clip.seconds = 30;
    clip.file_index = kInsideIndex;
    make_clip(root + "/inside.mp4", clip);
    clip.file_index = kSecretIndex;
    make_clip(outside + "/secret.mp4", clip);
    fs::create_symlink(outside + "/secret.mp4", root + "/link.mp4");
    server = std::make_unique<RelayServer>(dir.file("relay"),
                                           std::vector<std::string>{"--media-root", root});
  }

  void TearDown() override {
    if (HasFailure() && server)
      std::cerr << "---- server log ----\n" << server->log().substr(0, 20000);
  }

  std::future<std::vector<FrameMark>> watch(const std::string& stream, int seconds) {
    return std::async(std::launch::async, [this, stream, seconds] {
      return read_frame_marks(nginx.url(stream), seconds, dir.file(stream + "-marks.log"));
    });
  }

  static int count_index(const std::vector<FrameMark>& marks, int index) {
    int count = 0;
    for (const FrameMark& mark : marks) count += mark.file_index == index ? 1 : 0;
    return count;
  }

  std::string last_error(const std::string& id) {
    return server->task_info(id)["runtime"].value("last_error", "");
  }
};

std::string file_url(const std::string& path) {
  return "file://" + path;
}

json vod_task(const std::vector<std::string>& urls, const std::string& destination) {
  return {
      {"source_type", "PullVodPushLive"}, {"source_urls", urls}, {"destination_url", destination}};
}

// A copy of a playlist whose segment lines are replaced by `segment(name)`.
void rewrite_playlist(const std::string& from, const std::string& to,
                      const std::function<std::string(const std::string&)>& segment) {
  std::ifstream in(from);
  std::ofstream out(to);
  std::string line;
  while (std::getline(in, line)) {
    out << (line.empty() || line[0] == '#' ? line : segment(line)) << "\n";
  }
}

}  // namespace

TEST_F(MediaAccessTest, SymlinksOutOfTheMediaRootAreRefusedWhenATaskIsWritten) {
  std::string link = file_url(root + "/link.mp4");
  HttpReply live = server->call("POST", "/v1/p1/pull/stream/task", live_task(link, nginx.url("a")));
  EXPECT_EQ(live.status, 400);
  EXPECT_NE(live.json().value("error_msg", "").find("source_urls[0]"), std::string::npos)
      << live.body;
  json standby = live_task(file_url(root + "/inside.mp4"), nginx.url("b"));
  standby["backup_source_urls"] = {link};
  HttpReply backup = server->call("POST", "/v1/p1/pull/stream/task", standby);
  EXPECT_EQ(backup.status, 400);
  EXPECT_NE(backup.json().value("error_msg", "").find("backup_source_urls[0]"), std::string::npos)
      << backup.body;
  std::string id = server->create_task(live_task(file_url(root + "/inside.mp4"), nginx.url("c")));
  HttpReply modified =
      server->call("PUT", "/v1/p1/pull/stream/task", {{"task_id", id}, {"source_urls", {link}}});
  EXPECT_EQ(modified.status, 400) << modified.body;
  HttpReply playlist =
      server->call("POST", "/v1/p1/pull/stream/task",
                   vod_task({file_url(root + "/inside.mp4"), link}, nginx.url("d")));
  EXPECT_EQ(playlist.status, 400);
  EXPECT_NE(playlist.json().value("error_msg", "").find("source_urls[1]"), std::string::npos);
}

TEST_F(MediaAccessTest, AFileSwappedForASymlinkAfterValidationIsNotPlayed) {
  // Both files are ordinary when the tasks are written, and are swapped before they start.
  fs::copy_file(root + "/inside.mp4", root + "/swap-live.mp4");
  fs::copy_file(root + "/inside.mp4", root + "/swap-standby.mp4");
  std::string start =
      streamrelay::task::format_utc(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count() +
                                    4);
  json live = live_task(file_url(root + "/swap-live.mp4"), nginx.url("swapped-primary"));
  live["start_time"] = start;
  std::string live_id = server->create_task(live);
  // The standby takes over from a primary that never plays.
  json standby = live_task(nginx.url("nobody-publishes-this"), nginx.url("swapped-standby"));
  standby["backup_source_urls"] = {file_url(root + "/swap-standby.mp4")};
  standby["start_time"] = start;
  std::string standby_id = server->create_task(standby);
  for (const char* name : {"/swap-live.mp4", "/swap-standby.mp4"}) {
    fs::remove(root + name);
    fs::create_symlink(outside + "/secret.mp4", root + name);
  }
  // A playlist of the file inside the root plays: the ingest and the reader see what they should.
  server->create_task(vod_task({file_url(root + "/inside.mp4")}, nginx.url("control")));
  auto live_marks = watch("swapped-primary", 10);
  auto standby_marks = watch("swapped-standby", 10);
  auto control_marks = watch("control", 6);
  // The relay connects a destination once its source is open: the ingest would see a publisher.
  bool has_published = false;
  eventually(
      [&] {
        has_published = has_published || nginx.is_publishing("swapped-primary") ||
                        nginx.is_publishing("swapped-standby") ||
                        nginx.ended_publish_sessions("swapped-primary") > 0 ||
                        nginx.ended_publish_sessions("swapped-standby") > 0;
        return has_published;
      },
      10s);
  EXPECT_FALSE(has_published) << "a file outside the media root was relayed";
  EXPECT_EQ(count_index(live_marks.get(), kSecretIndex), 0) << "the live task played the secret";
  EXPECT_EQ(count_index(standby_marks.get(), kSecretIndex), 0) << "the standby played the secret";
  EXPECT_GT(count_index(control_marks.get(), kInsideIndex), 25) << "the reader saw nothing";
  EXPECT_NE(last_error(live_id).find("outside the configured media roots"), std::string::npos)
      << last_error(live_id);
  EXPECT_NE(server->status_of(live_id), "running");
  (void)standby_id;
}

TEST_F(MediaAccessTest, AnHlsPlaylistInTheRootOpensNothingOutsideIt) {
  ClipOptions clip;
  clip.seconds = 6;
  clip.file_index = kInsideIndex;
  make_hls_clip(root, "ok", clip);
  clip.file_index = kSecretIndex;
  make_hls_clip(outside, "secret", clip);
  // Segments named by absolute path, by file: URL, and on a loopback HTTP server (which records
  // every request it gets) though loopback egress is allowed here.
  rewrite_playlist(outside + "/secret.m3u8", root + "/by-path.m3u8",
                   [&](const std::string& name) { return outside + "/" + name; });
  rewrite_playlist(outside + "/secret.m3u8", root + "/by-url.m3u8",
                   [&](const std::string& name) { return file_url(outside + "/" + name); });
  CallbackReceiver web;
  rewrite_playlist(outside + "/secret.m3u8", root + "/by-http.m3u8",
                   [&](const std::string& name) { return web.url() + "/" + name; });

  std::string path_id =
      server->create_task(vod_task({file_url(root + "/by-path.m3u8")}, nginx.url("path")));
  std::string url_id =
      server->create_task(vod_task({file_url(root + "/by-url.m3u8")}, nginx.url("url")));
  std::string http_id =
      server->create_task(vod_task({file_url(root + "/by-http.m3u8")}, nginx.url("http")));
  std::string ok_id = server->create_task(vod_task({file_url(root + "/ok.m3u8")}, nginx.url("ok")));
  auto path_marks = watch("path", 8);
  auto url_marks = watch("url", 8);
  auto ok_marks = watch("ok", 6);
  EXPECT_EQ(count_index(path_marks.get(), kSecretIndex), 0);
  EXPECT_EQ(count_index(url_marks.get(), kSecretIndex), 0);
  EXPECT_GT(count_index(ok_marks.get(), kInsideIndex), 25) << "the reader saw nothing";
  EXPECT_TRUE(web.received().empty()) << "a local playlist made an HTTP request";
  for (const std::string& id : {path_id, url_id, http_id}) {
    EXPECT_FALSE(last_error(id).empty()) << id;
  }
  EXPECT_NE(last_error(path_id).find("outside the configured media roots"), std::string::npos)
      << last_error(path_id);
  (void)ok_id;
}

namespace {

// A self-signed rtmps:// ingest in front of nginx-rtmp, and a live source on that nginx.
class TlsPeers : public ::testing::Test {
 protected:
  TempDir dir;
  NginxRtmp nginx{dir.file("nginx")};
  TlsIngest ingest{dir.file("tls"), nginx.rtmp_port()};
  LivePublisher publisher{nginx.url("src"), dir.file("publisher.log")};

  void SetUp() override {
    publisher.start();
    ASSERT_TRUE(eventually([&] { return nginx.is_publishing("src"); }, 15s));
  }
};

}  // namespace

TEST_F(TlsPeers, ASelfSignedRtmpsIngestIsRefusedUntilItsCaIsGiven) {
  json task = live_task(nginx.url("src"), ingest.url("secure"));
  std::string id;
  {
    RelayServer server(dir.file("relay"));
    id = server.create_task(task);
    EXPECT_TRUE(server.wait_for_status(id, "abnormal", 20s));
    sleep_for(3s);
    EXPECT_FALSE(nginx.is_publishing("secure")) << "an unverified peer got the stream";
    std::string error = server.task_info(id)["runtime"].value("last_error", "");
    EXPECT_NE(error.find("certificate"), std::string::npos) << error;
  }
  {
    RelayServer server(dir.file("relay"), {"--tls-ca-file", ingest.certificate()});
    EXPECT_TRUE(server.wait_for_flow(id, 20s)) << server.log();
    EXPECT_TRUE(eventually([&] { return nginx.is_publishing("secure"); }, 10s));
    ProbeReport report = probe(nginx.url("secure"), 2, dir.file("probe.log"));
    EXPECT_TRUE(report.is_ok) << report.error;
    EXPECT_GT(report.count("video"), 25);
  }
}

TEST_F(TlsPeers, VerificationCanBeSwitchedOffForDevelopmentWithAWarning) {
  RelayServer server(dir.file("relay"), {"--tls-skip-verify"});
  EXPECT_NE(server.log().find("event=tls_verification_off"), std::string::npos);
  std::string id = server.create_task(live_task(nginx.url("src"), ingest.url("insecure")));
  EXPECT_TRUE(server.wait_for_flow(id, 20s));
  EXPECT_TRUE(eventually([&] { return nginx.is_publishing("insecure"); }, 10s));
}
