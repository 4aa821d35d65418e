// PullVodPushLive end to end: generated clips (their pictures say which file and which second
// they are) played by streamrelay into a real nginx-rtmp, read back with ffmpeg and ffprobe.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>

#include "support/media_files.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class PlaylistRelayTest : public ::testing::Test {
 protected:
  TempDir dir;
  NginxRtmp nginx{dir.file("nginx")};
  std::string media = dir.file("media");
  std::unique_ptr<RelayServer> server;

  void SetUp() override { server = server_with_media_root(dir.file("relay"), media); }

  void TearDown() override {
    if (HasFailure() && server)
      std::cerr << "---- server log ----\n" << server->log().substr(0, 30000);
  }

  // A clip in the media root; returns its file:// URL.
  std::string clip(const std::string& name, ClipOptions options) {
    make_clip(media + "/" + name, options);
    return "file://" + media + "/" + name;
  }

  json vod_task(const std::vector<std::string>& urls, const std::string& stream = "out") {
    return {{"source_type", "PullVodPushLive"},
            {"source_urls", urls},
            {"destination_url", nginx.url(stream)}};
  }

  std::future<std::vector<FrameMark>> watch(int seconds, const std::string& name = "marks") {
    return std::async(std::launch::async, [this, seconds, name] {
      return read_frame_marks(nginx.url("out"), seconds, dir.file(name + ".log"));
    });
  }

  std::future<ProbeReport> probe_output(int seconds, bool with_frames = false) {
    return std::async(std::launch::async, [this, seconds, with_frames] {
      return probe(nginx.url("out"), seconds, dir.file("probe.log"), with_frames);
    });
  }

  double offset_of(const std::string& id) {
    json info = server->task_info(id);
    return info.contains("runtime") ? info["runtime"].value("file_offset_seconds", 0.0) : 0.0;
  }

  int count_events(const std::string& id, const std::string& type) {
    int count = 0;
    for (const json& event : server->events(id)) count += event["event_type"] == type ? 1 : 0;
    return count;
  }

  void modify(const json& body) {
    ASSERT_EQ(server->call("PUT", "/v1/p1/pull/stream/task", body).status, 200);
  }
};

ClipOptions clip_of(int file_index, double seconds, const std::string& size = "160x120") {
  ClipOptions options;
  options.file_index = file_index;
  options.seconds = seconds;
  options.size = size;
  return options;
}

// The first mark that shows another file than the one before it.
size_t first_switch(const std::vector<FrameMark>& marks, size_t from = 1) {
  for (size_t i = std::max<size_t>(from, 1); i < marks.size(); ++i) {
    if (marks[i].file_index != marks[i - 1].file_index) return i;
  }
  return marks.size();
}

}  // namespace

TEST_F(PlaylistRelayTest, ThreeFilesOfDifferentSizesPlayTwiceAsOneContinuousStream) {
  std::vector<std::string> sizes = {"160x120", "320x240", "240x180"};
  std::vector<std::string> urls;
  for (int i = 0; i < 3; ++i)
    urls.push_back(clip("f" + std::to_string(i) + ".mp4", clip_of(i, 5, sizes[i])));
  auto reading = probe_output(40, true);
  ASSERT_TRUE(eventually([&] { return nginx.players("out") >= 1; }, 10s)) << "the reader";
  json body = vod_task(urls);
  body["vod_loop_time"] = "2";
  std::string id = server->create_task(body);
  ProbeReport report = reading.get();
  ASSERT_TRUE(report.is_ok) << report.error;

  // Every frame of six plays of 5 s at 25 fps, within a second.
  EXPECT_NEAR(report.count("video"), 750, 25);
  // At most 1.5 frames between two packets of a track, file boundaries included.
  EXPECT_TRUE(is_continuous(report, "video", 725, video_gap(25)));
  EXPECT_TRUE(
      is_continuous(report, "audio", packets_in(30, 43), aac_gap_across_segments(44100, 25)));

  // The picture size changes where each file starts, in playlist order.
  std::vector<std::pair<double, std::string>> changes;
  for (const ProbedFrame& frame : report.video_frames) {
    std::string size = std::to_string(frame.width) + "x" + std::to_string(frame.height);
    if (changes.empty() || changes.back().second != size) changes.push_back({frame.dts, size});
  }
  ASSERT_EQ(changes.size(), 6u);
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i].second, sizes[i % 3]);
    EXPECT_NEAR(changes[i].first, 5.0 * static_cast<double>(i), 0.2) << "file start " << i;
  }
  // Audio stays in sync at every boundary: it resumes with the new file's first picture.
  for (size_t i = 1; i < changes.size(); ++i) {
    double boundary = 5.0 * static_cast<double>(i);
    double first_audio = 1e9;
    for (const ProbedPacket& packet : report.packets) {
      if (packet.type == "audio" && packet.dts >= boundary - 0.001) {
        first_audio = packet.dts;
        break;
      }
    }
    EXPECT_LE(first_audio - boundary, 0.040) << "boundary " << i;
  }

  EXPECT_TRUE(server->wait_for_status(id, "finished", 10s));
  EXPECT_EQ(count_events(id, "VodSourceFileStart"), 6);
  EXPECT_EQ(count_events(id, "VodSourceFileFinish"), 6);
  auto events = server->events(id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["event_type"], "TaskExit");
  EXPECT_EQ(events.back()["data"]["reason"], "LoopFinished");
  EXPECT_EQ(server->task_info(id)["runtime"]["looped_times"], 2);
}

TEST_F(PlaylistRelayTest, PlaybackStartsAtTheGivenFileAndSecond) {
  std::string first = clip("a.mp4", clip_of(0, 10));
  std::string second = clip("b.mp4", clip_of(1, 10));
  auto marks = watch(3);
  ASSERT_TRUE(eventually([&] { return nginx.players("out") >= 1; }, 10s)) << "the reader";
  json body = vod_task({first, second});
  body["vod_start_video_index"] = 1;
  body["vod_start_video_time"] = 5;
  server->create_task(body);
  auto seen = marks.get();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front().file_index, 1);
  // From the keyframe at or before 5 s (keyframes every second).
  EXPECT_GE(seen.front().clip_seconds, 3.9);
  EXPECT_LE(seen.front().clip_seconds, 5.3);
}

TEST_F(PlaylistRelayTest, ImmediateNewSourceSwitchesAtOnce) {
  std::string first = clip("a.mp4", clip_of(0, 20));
  std::string second = clip("b.mp4", clip_of(1, 20));
  auto marks = watch(14);
  std::string id = server->create_task(vod_task({first}));
  ASSERT_TRUE(eventually([&] { return offset_of(id) >= 6; }, 20s));
  modify(
      {{"task_id", id}, {"source_urls", {second}}, {"vod_refresh_type", "immediate_new_source"}});
  auto seen = marks.get();
  size_t at = first_switch(seen);
  ASSERT_LT(at, seen.size()) << "never switched";
  EXPECT_EQ(seen[at - 1].file_index, 0);
  EXPECT_GE(seen[at - 1].clip_seconds, 5.0);
  EXPECT_EQ(seen[at].file_index, 1);
  EXPECT_LE(seen[at].clip_seconds, 0.5);
  EXPECT_EQ(count_events(id, "ResetTaskConfig"), 1);
}

TEST_F(PlaylistRelayTest, ContinueFromFileStartReplaysTheCurrentFileFromItsStart) {
  std::string first = clip("a.mp4", clip_of(0, 20));
  std::string second = clip("b.mp4", clip_of(1, 20));
  auto marks = watch(14);
  std::string id = server->create_task(vod_task({first}));
  ASSERT_TRUE(eventually([&] { return offset_of(id) >= 6; }, 20s));
  modify({{"task_id", id},
          {"source_urls", {second}},
          {"vod_refresh_type", "continue_from_file_start"}});
  auto seen = marks.get();
  bool has_restarted = false;
  for (size_t i = 1; i < seen.size() && !has_restarted; ++i) {
    has_restarted = seen[i].file_index == 0 && seen[i - 1].file_index == 0 &&
                    seen[i - 1].clip_seconds >= 5.0 && seen[i].clip_seconds <= 0.5;
  }
  EXPECT_TRUE(has_restarted) << "file 0 was not replayed from its start";
  EXPECT_EQ(first_switch(seen), seen.size()) << "the new list must wait until file 0 ends";
}

TEST_F(PlaylistRelayTest, ContinueFromBreakPointKeepsPlayingWhereItWas) {
  std::string first = clip("a.mp4", clip_of(0, 20));
  std::string second = clip("b.mp4", clip_of(1, 20));
  auto marks = watch(14);
  std::string id = server->create_task(vod_task({first}));
  ASSERT_TRUE(eventually([&] { return offset_of(id) >= 6; }, 20s));
  modify({{"task_id", id},
          {"source_urls", {second}},
          {"vod_refresh_type", "continue_from_break_point"}});
  auto seen = marks.get();
  ASSERT_GT(seen.size(), 100u);
  double furthest = 0;
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].file_index, 0);
    // Never back by more than one keyframe interval, never forward by a jump.
    EXPECT_GE(seen[i].clip_seconds - seen[i - 1].clip_seconds, -1.1) << "frame " << i;
    EXPECT_LE(seen[i].clip_seconds - seen[i - 1].clip_seconds, 0.6) << "frame " << i;
    furthest = std::max(furthest, seen[i].clip_seconds);
  }
  EXPECT_GE(furthest, 10.0);
}

TEST_F(PlaylistRelayTest, MissingCorruptAndTruncatedFilesAreSkippedWithAlarms) {
  std::string first = clip("a.mp4", clip_of(0, 3));
  std::string last = clip("b.mp4", clip_of(1, 3));
  {
    std::ofstream corrupt(media + "/corrupt.mp4", std::ios::binary);
    std::mt19937 random(7);
    for (int i = 0; i < 200000; ++i) corrupt.put(static_cast<char>(random()));
  }
  make_clip(media + "/whole.mp4", clip_of(2, 4));
  // A codec FLV cannot carry: skipped as unsupported.
  make_clip(media + "/vp8.webm", [] {
    ClipOptions vp8 = clip_of(3, 2);  // VP8: neither legacy FLV nor enhanced RTMP carries it
    vp8.format = "webm";
    vp8.video_codec = "libvpx";
    vp8.has_audio = false;
    return vp8;
  }());
  std::filesystem::copy_file(media + "/whole.mp4", media + "/truncated.mp4");
  std::filesystem::resize_file(media + "/truncated.mp4",
                               std::filesystem::file_size(media + "/whole.mp4") / 2);
  auto marks = watch(12);
  json body =
      vod_task({first, nginx.file_url("missing.mp4"), "file://" + media + "/corrupt.mp4",
                "file://" + media + "/truncated.mp4", "file://" + media + "/vp8.webm", last});
  body["vod_loop_time"] = "1";
  std::string id = server->create_task(body);
  auto seen = marks.get();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front().file_index, 0);
  EXPECT_EQ(seen.back().file_index, 1) << "the file after the broken ones must play";
  EXPECT_TRUE(server->wait_for_status(id, "finished", 15s));
  int alarms = count_events(id, "TaskAlarm");
  EXPECT_GE(alarms, 4) << "one alarm per broken file";
  bool has_unsupported = false;
  for (const json& event : server->events(id)) {
    has_unsupported |=
        event["event_type"] == "TaskAlarm" && event["data"]["alarm"] == "SourceUnsupported";
  }
  EXPECT_TRUE(has_unsupported);
  EXPECT_FALSE(server->task_info(id)["runtime"]["last_error"].get<std::string>().empty());
}

TEST_F(PlaylistRelayTest, FilesArePacedToRealTime) {
  std::string first = clip("a.mp4", clip_of(0, 10));
  std::string second = clip("b.mp4", clip_of(1, 10));
  auto arrivals =
      std::async(std::launch::async, [&] { return read_packet_arrivals(nginx.url("out"), 60); });
  ASSERT_TRUE(eventually([&] { return nginx.players("out") >= 1; }, 10s)) << "the reader";
  server->create_task(vod_task({first, second}));
  auto seen = arrivals.get();
  ASSERT_GT(seen.size(), 1000u);
  double wall = seen.back().wall_seconds - seen.front().wall_seconds;
  double media_time = seen.back().dts_seconds - seen.front().dts_seconds;
  EXPECT_NEAR(media_time / wall, 1.0, 0.02) << "media " << media_time << " s in " << wall << " s";
  double most_ahead = 0;
  for (const PacketArrival& arrival : seen) {
    double ahead = (arrival.dts_seconds - seen.front().dts_seconds) -
                   (arrival.wall_seconds - seen.front().wall_seconds);
    most_ahead = std::max(most_ahead, ahead);
  }
  EXPECT_LE(most_ahead, 1.0);
}

TEST_F(PlaylistRelayTest, AfterKillNineTheChannelResumesAtItsBreakpoint) {
  std::string url = clip("a.mp4", clip_of(0, 30));
  std::string id = server->create_task(vod_task({url}));
  ASSERT_TRUE(eventually([&] { return offset_of(id) >= 8; }, 20s));
  double breakpoint = offset_of(id);
  server->kill9();
  ASSERT_TRUE(eventually([&] { return !nginx.is_publishing("out"); }, 10s));
  auto marks = watch(3, "after-restart");
  ASSERT_TRUE(eventually([&] { return nginx.players("out") >= 1; }, 10s)) << "the reader";
  server->start();
  EXPECT_TRUE(server->wait_for_flow(id, 5s));
  auto seen = marks.get();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front().file_index, 0);
  EXPECT_NEAR(seen.front().clip_seconds, breakpoint, 2.0);
}

TEST_F(PlaylistRelayTest, HlsVodOverHttpAndFlvFilesPlay) {
  make_hls_clip(nginx.files_folder() + "/hls", "clip", clip_of(0, 5));
  ClipOptions flv = clip_of(1, 4);
  flv.format = "flv";
  std::string flv_url = clip("b.flv", flv);
  auto reading = probe_output(14);
  auto marks = watch(12, "hls-flv");
  ASSERT_TRUE(eventually([&] { return nginx.players("out") >= 2; }, 10s)) << "the readers";
  json body = vod_task({nginx.file_url("hls/clip.m3u8"), flv_url});
  body["vod_loop_time"] = "1";
  std::string id = server->create_task(body);
  auto seen = marks.get();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front().file_index, 0);
  EXPECT_EQ(seen.back().file_index, 1);
  ProbeReport report = reading.get();
  EXPECT_EQ(report.non_monotonic_dts("video"), 0);
  EXPECT_LE(report.largest_dts_gap("video"), 0.0601);
  EXPECT_TRUE(server->wait_for_status(id, "finished", 10s));
}

TEST_F(PlaylistRelayTest, PauseAndEnableKeepTheDestinationSessionAndTheTimeline) {
  std::string url = clip("a.mp4", clip_of(0, 30));
  std::string id = server->create_task(vod_task({url}));
  ASSERT_TRUE(server->wait_for_flow(id, 15s));
  long session = nginx.publisher_id("out");
  auto reading = probe_output(10);
  auto marks = watch(10, "pause");
  sleep_for(3s);
  modify({{"task_id", id}, {"status", "pause"}});
  EXPECT_EQ(server->status_of(id), "paused");
  sleep_for(3s);
  modify({{"task_id", id}, {"status", "enable"}});
  EXPECT_TRUE(server->wait_for_flow(id, 10s));
  EXPECT_EQ(nginx.publisher_id("out"), session) << "the destination saw a new publish session";
  ProbeReport report = reading.get();
  EXPECT_EQ(report.non_monotonic_dts("video"), 0);
  EXPECT_LE(report.largest_dts_gap("video"), 0.0601) << "a timestamp gap across the pause";
  // The file goes on where it paused (the slate's black pictures fill the pause).
  std::vector<FrameMark> seen;
  for (const FrameMark& mark : marks.get()) {
    if (mark.file_index == 0) seen.push_back(mark);
  }
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_LE(seen[i].clip_seconds - seen[i - 1].clip_seconds, 0.6) << "skipped ahead at " << i;
  }
  EXPECT_GE(count_events(id, "TaskExit"), 1);  // reason Paused
}

TEST_F(PlaylistRelayTest, AnMp4WithFarApartTracksAndItsIndexAtTheEndPlaysOverHttp) {
  ClipOptions big = clip_of(0, 30, "320x240");
  big.video_bitrate = "2M";
  make_clip(media + "/source.mp4", big);
  make_non_interleaved_mp4(media + "/source.mp4", nginx.files_folder() + "/far-apart.mp4");
  auto reading = probe_output(8);
  ASSERT_TRUE(eventually([&] { return nginx.players("out") >= 1; }, 10s)) << "the reader";
  auto created = std::chrono::steady_clock::now();
  std::string id = server->create_task(vod_task({nginx.file_url("far-apart.mp4")}));
  ASSERT_TRUE(eventually([&] { return nginx.is_publishing("out"); }, 10s));
  std::cerr << "first packet at the destination after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - created)
                   .count()
            << " ms\n";
  ProbeReport report = reading.get();
  ASSERT_TRUE(report.is_ok) << report.error;
  EXPECT_TRUE(report.has_stream("audio"));
  EXPECT_EQ(report.non_monotonic_dts("video"), 0);
  EXPECT_EQ(report.non_monotonic_dts("audio"), 0);
  EXPECT_LE(report.largest_dts_gap("video"), 0.0601);
  EXPECT_NEAR(report.measured_rate("video"), 25.0, 1.0);
}

TEST_F(PlaylistRelayTest, APlaylistWhoseEveryFileFailsIsAbnormal) {
  json body = vod_task({nginx.file_url("gone-1.mp4"), nginx.file_url("gone-2.mp4")});
  std::string id = server->create_task(body);
  EXPECT_TRUE(server->wait_for_status(id, "abnormal", 10s));
  EXPECT_GE(count_events(id, "TaskAlarm"), 2);
  EXPECT_NE(server->task_info(id)["runtime"]["last_error"].get<std::string>().find("404"),
            std::string::npos);
}

TEST_F(PlaylistRelayTest, WhileTheDestinationIsDownTheChannelHoldsItsPosition) {
  std::string url = clip("a.mp4", clip_of(0, 40));
  std::string id = server->create_task(vod_task({url}));
  ASSERT_TRUE(eventually([&] { return offset_of(id) >= 5; }, 20s));
  double before = offset_of(id);
  nginx.stop();
  sleep_for(4s);
  nginx.start();
  auto seen = watch(3, "after-outage").get();
  ASSERT_FALSE(seen.empty());
  // It goes on from about where the destination went away (the position read before it went,
  // up to half a second old, give or take a GOP), not four seconds further on.
  EXPECT_GE(seen.front().clip_seconds, before - 1.5);
  EXPECT_LE(seen.front().clip_seconds, before + 1.5);
}
