// HEVC and AV1 (with AAC) end to end over enhanced RTMP: from MP4 files, over SRT, and over RTMP
// as our own client publishes it, relayed to node-media-server and read back over its HTTP-FLV.
// What arrives is taken apart into elementary streams and decoded by FFmpeg's own decoders
// (hevc, libdav1d, aac): every frame read must decode, none with an error, DTS never backwards.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/flv_elementary.h"
#include "support/media_files.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/node_media_server.h"
#include "support/relay_fixture.h"
#include "support/relay_server.h"
#include "support/scripted_rtmp_peer.h"
#include "support/temp_dir.h"
#include "support/tls_ingest.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

constexpr int kSeconds = 12;  // read from the destination, from before the relay starts
constexpr double kFps = 25;

struct Codec {
  std::string name;     // as FFmpeg names it
  std::string encoder;  // what makes the source
  std::string decoder;  // what checks the destination
};
const Codec kHevc{"hevc", "libx265", "hevc"};
const Codec kAv1{"av1", "libsvtav1", "libdav1d"};

class EnhancedCodecsTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::string media = dir.file("media");
  // nginx-rtmp waits for a keyframe by frame type 1, which no enhanced RTMP tag has (its top bit
  // is set): with wait_key on (the default) its players never get HEVC or AV1.
  NginxRtmp nginx{dir.file("nginx"), "    application enhanced { live on; wait_key off; }\n"};
  NodeMediaServer nms{dir.file("nms")};
  std::unique_ptr<RelayServer> server;

  void SetUp() override { server = server_with_media_root(dir.file("relay"), media); }
  void TearDown() override {
    if (HasFailure()) print_server_log_end(server.get());
  }

  // A looping playlist of one generated clip in `codec` with AAC.
  json file_task(const Codec& codec, const std::string& destination) {
    ClipOptions clip;
    clip.seconds = 4;
    clip.video_codec = codec.encoder;
    make_clip(media + "/" + codec.name + ".mp4", clip);
    return {{"source_type", "PullVodPushLive"},
            {"source_urls", {"file://" + media + "/" + codec.name + ".mp4"}},
            {"destination_url", destination}};
  }

  // Starts reading `stream` from node-media-server over HTTP-FLV for kSeconds, before it is
  // published: node-media-server 2.7 gives a reader joining later no AV1 sequence header.
  std::future<void> record(const std::string& stream) {
    auto recording = std::async(std::launch::async, [this, stream] {
      record_http(nms.flv_url(stream), kSeconds, dir.file(stream + ".flv"));
    });
    EXPECT_TRUE(eventually([&] { return nms.waiting_players(stream) >= 1; }, 10s));
    return recording;
  }

  // What `record` read of `stream`, checked and decoded.
  void expect_decodable(const std::string& stream, const Codec& codec,
                        std::future<void>& recording) {
    SCOPED_TRACE(stream + " (" + codec.name + ")");
    recording.get();
    std::string recording_path = dir.file(stream + ".flv");
    std::string video_prefix = dir.file(stream + "-video");
    std::string audio = dir.file(stream + "-audio.aac");
    FlvTracks tracks = split_flv(recording_path, video_prefix, audio);
    ASSERT_EQ(tracks.error, "");
    ASSERT_FALSE(tracks.video_codecs.empty()) << "no video sequence header arrived";
    EXPECT_EQ(tracks.video_codecs.back(), codec.name);
    // The reading began before the relay: all but the time to its start (a few seconds at most).
    EXPECT_GE(tracks.video_frames, packets_in(kSeconds - 5, kFps));
    EXPECT_GE(tracks.audio_frames, packets_in(kSeconds - 5, 43));
    EXPECT_EQ(tracks.video_dts_backwards, 0);
    EXPECT_EQ(tracks.audio_dts_backwards, 0);
    EXPECT_LE(tracks.largest_video_gap_ms, 1000 * video_gap(kFps));
    EXPECT_LE(tracks.largest_audio_gap_ms, 1000 * aac_gap_across_segments(44100, kFps));
    Decoded video = decode_every_frame(video_track_file(video_prefix, codec.name), codec.decoder,
                                       dir.file(stream + "-decode-video"));
    EXPECT_EQ(video.errors, "");
    EXPECT_EQ(video.frames, tracks.video_frames) << "every frame read decodes";
    Decoded sound = decode_every_frame(audio, "aac", dir.file(stream + "-decode-audio"));
    EXPECT_EQ(sound.errors, "");
    EXPECT_EQ(sound.frames, tracks.audio_frames);
  }
};

}  // namespace

TEST_F(EnhancedCodecsTest, HevcAndAv1FromMp4FilesReachNodeMediaServerWhole) {
  std::vector<json> tasks;
  for (const Codec& codec : {kHevc, kAv1}) {
    tasks.push_back(file_task(codec, nms.url("file-" + codec.name)));
  }
  std::vector<std::future<void>> recordings;
  for (const Codec& codec : {kHevc, kAv1}) recordings.push_back(record("file-" + codec.name));
  for (const json& task : tasks) server->create_task(task);
  expect_decodable("file-hevc", kHevc, recordings[0]);
  expect_decodable("file-av1", kAv1, recordings[1]);
  // x265 makes B-frames: their composition times arrive (HEVC's CodedFrames carry them).
  FlvTracks hevc = split_flv(dir.file("file-hevc.flv"), dir.file("again"), dir.file("again.aac"));
  EXPECT_GT(hevc.reordered_frames, hevc.video_frames / 4);
}

TEST_F(EnhancedCodecsTest, HevcAndAv1OverSrtReachNodeMediaServerWhole) {
  // MPEG-TS carries HEVC; FFmpeg 5.1 has no AV1 mapping for it, so AV1 comes in Matroska.
  std::vector<std::unique_ptr<LivePublisher>> publishers;
  std::vector<std::future<void>> recordings;
  for (const Codec& codec : {kHevc, kAv1}) recordings.push_back(record("srt-" + codec.name));
  for (const Codec& codec : {kHevc, kAv1}) {
    std::string srt = "srt://127.0.0.1:" + std::to_string(free_port());
    PublisherOptions options;
    options.video_codec = codec.encoder;
    options.format = codec.name == "hevc" ? "mpegts" : "matroska";
    publishers.push_back(std::make_unique<LivePublisher>(
        srt + "?mode=listener", dir.file("publisher-" + codec.name + ".log"), options));
    publishers.back()->start();
    server->create_task(live_task(srt, nms.url("srt-" + codec.name)));
  }
  expect_decodable("srt-hevc", kHevc, recordings[0]);
  expect_decodable("srt-av1", kAv1, recordings[1]);
}

TEST_F(EnhancedCodecsTest, EnhancedRtmpFromOurOwnClientIsReadAndRelayed) {
  // Files go out as enhanced RTMP to nginx-rtmp (which passes FourCC tags on untouched, with
  // wait_key off), and a second relay reads them there and pushes them on to node-media-server.
  // nginx-rtmp keeps no sequence header but H.264's for late players, so the reader is in place
  // before the publisher.
  std::vector<json> tasks;
  for (const Codec& codec : {kHevc, kAv1})
    tasks.push_back(file_task(codec, nginx.url("rtmp-" + codec.name, "enhanced")));
  std::vector<std::future<void>> recordings;
  for (const Codec& codec : {kHevc, kAv1}) recordings.push_back(record("rtmp-" + codec.name));
  for (size_t i = 0; i < tasks.size(); ++i) {
    std::string stream = i == 0 ? "rtmp-hevc" : "rtmp-av1";
    server->create_task(live_task(nginx.url(stream, "enhanced"), nms.url(stream)));
    ASSERT_TRUE(eventually([&] { return nginx.players(stream) >= 1; }, 10s)) << "the reader";
    server->create_task(tasks[i]);
  }
  expect_decodable("rtmp-hevc", kHevc, recordings[0]);
  expect_decodable("rtmp-av1", kAv1, recordings[1]);
}

TEST_F(EnhancedCodecsTest, ADestinationThatDoesNotTakeHevcGivesOneAlarmNotALoopOfReconnects) {
  // One legacy server closes on the first FourCC tag without a word; the other says in its
  // connect answer that it takes AV1 only.
  PeerScript closes;
  closes.closes_on_fourcc = true;
  ScriptedRtmpPeer legacy(closes);
  PeerScript lists;
  lists.fourcc_list = std::vector<std::string>{"av01"};
  ScriptedRtmpPeer av1_only(lists);
  struct Case {
    std::string name;
    ScriptedRtmpPeer& peer;
    std::string id;
  };
  auto created = std::chrono::steady_clock::now();
  std::vector<Case> cases = {
      {"legacy", legacy, server->create_task(file_task(kHevc, legacy.url()))},
      {"av1-only", av1_only, ""}};
  cases[1].id = server->create_task(file_task(kHevc, av1_only.url()));
  for (const Case& item : cases) {
    SCOPED_TRACE(item.name);
    auto has_alarm = [&] {
      for (const json& event : server->events(item.id)) {
        if (event["event_type"] == "TaskAlarm" &&
            event["data"]["alarm"] == "DestinationUnsupported" &&
            event["data"]["error"].get<std::string>().find("hevc") != std::string::npos) {
          return true;
        }
      }
      return false;
    };
    // Within the open timeout (5 s by default), give or take the clip being made.
    EXPECT_TRUE(eventually(has_alarm, 5s)) << server->task_info(item.id).dump();
    EXPECT_TRUE(server->wait_for_status(item.id, "abnormal", 10s));
    std::string error = server->task_info(item.id)["runtime"].value("last_error", "");
    EXPECT_NE(error.find("hevc"), std::string::npos) << server->task_info(item.id).dump();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - created, 15s);
  // No loop of reconnects: a few seconds later each peer has seen at most the one session.
  std::this_thread::sleep_for(4s);
  EXPECT_LE(legacy.record().sessions, 1);
  EXPECT_LE(av1_only.record().sessions, 1);
  for (const Case& item : cases) {
    int alarms = 0;
    for (const json& event : server->events(item.id)) {
      alarms +=
          event["event_type"] == "TaskAlarm" && event["data"]["alarm"] == "DestinationUnsupported";
    }
    EXPECT_EQ(alarms, 1) << item.name;
  }
}

TEST_F(EnhancedCodecsTest, AChangeFromH264ToHevcGoesOnTheSamePublishSession) {
  ClipOptions h264;
  h264.seconds = 3;
  make_clip(media + "/h264.mp4", h264);
  json task = file_task(kHevc, nms.url("change"));
  task["source_urls"] = {"file://" + media + "/h264.mp4", "file://" + media + "/hevc.mp4"};
  task["vod_loop_time"] = "1";
  auto recording = record("change");
  std::string id = server->create_task(task);
  recording.get();
  std::string video_prefix = dir.file("change-video");
  FlvTracks tracks = split_flv(dir.file("change.flv"), video_prefix, dir.file("change.aac"));
  ASSERT_EQ(tracks.error, "");
  ASSERT_GE(tracks.video_codecs.size(), 2u);
  EXPECT_EQ(tracks.video_codecs.front(), "h264");
  EXPECT_EQ(tracks.video_codecs.back(), "hevc");
  EXPECT_EQ(nms.publish_sessions("change"), 1) << "one session for both codecs";
  EXPECT_EQ(tracks.video_dts_backwards, 0);
  EXPECT_LE(tracks.largest_video_gap_ms, 1000 * video_gap(kFps));
  // Both files whole: 3 s and 4 s at 25 frames a second, every frame decoded.
  Decoded first =
      decode_every_frame(video_track_file(video_prefix, "h264"), "h264", dir.file("change-h264"));
  Decoded second =
      decode_every_frame(video_track_file(video_prefix, "hevc"), "hevc", dir.file("change-hevc"));
  EXPECT_EQ(first.errors, "");
  EXPECT_EQ(second.errors, "");
  EXPECT_EQ(first.frames, 75);
  EXPECT_EQ(second.frames, 100);
  EXPECT_EQ(first.frames + second.frames, tracks.video_frames);
  EXPECT_TRUE(server->wait_for_status(id, "finished", 10s));
}

TEST_F(EnhancedCodecsTest, HevcAndAv1OverHttpFlvAreReadByOurFlvReader) {
  // node-media-server hands HTTP-FLV players HEVC and AV1 under the older codec ids 12 and 13: a
  // relay reads them there and pushes them on. (It gives a reader joining late no AV1 sequence
  // header, so the reading relay is in place before the publisher.)
  std::vector<std::future<void>> recordings;
  for (const Codec& codec : {kHevc, kAv1}) recordings.push_back(record("down-" + codec.name));
  for (const Codec& codec : {kHevc, kAv1}) {
    json task = file_task(codec, nms.url("up-" + codec.name));
    server->create_task(live_task(nms.flv_url("up-" + codec.name), nms.url("down-" + codec.name)));
    ASSERT_TRUE(eventually([&] { return nms.waiting_players("up-" + codec.name) >= 1; }, 10s));
    server->create_task(task);
  }
  expect_decodable("down-hevc", kHevc, recordings[0]);
  expect_decodable("down-av1", kAv1, recordings[1]);
}

TEST_F(EnhancedCodecsTest, HevcToAnRtmpsDestinationIsReportedUnsupportedNotRetriedInALoop) {
  // rtmps:// is written by libavformat's RTMP client, and FFmpeg 5.1 writes no enhanced RTMP.
  TlsIngest tls(dir.file("tls"), nginx.rtmp_port());
  server.reset();
  server =
      server_with_media_root(dir.file("relay-tls"), media, {"--tls-ca-file", tls.certificate()});
  std::string id = server->create_task(file_task(kHevc, tls.url("out-hevc")));
  EXPECT_TRUE(server->wait_for_status(id, "abnormal", 10s));
  std::string error = server->task_info(id)["runtime"].value("last_error", "");
  EXPECT_NE(error.find("hevc"), std::string::npos) << error;
  std::this_thread::sleep_for(3s);
  int alarms = 0;
  for (const json& event : server->events(id)) {
    alarms +=
        event["event_type"] == "TaskAlarm" && event["data"]["alarm"] == "DestinationUnsupported";
  }
  EXPECT_EQ(alarms, 1);
  EXPECT_EQ(server->task_info(id)["runtime"].value("reconnects", -1), 1) << "tried once";
}
