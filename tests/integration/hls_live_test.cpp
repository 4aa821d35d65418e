// Live HLS sources as they are served in the field: ffmpeg's hls muxer writes 2 s or 6 s
// segments into a folder nginx (or a plain file server) serves over HTTP, and streamrelay relays
// the playlist to nginx-rtmp. The publisher's pictures carry its mark and the second they were
// made, so the destination shows whether the slate went on air and whether any segment was sent
// twice; packet arrivals show whether the output ran at real time.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <optional>
#include <sstream>

#include "support/http_client.h"
#include "support/media_files.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/plain_file_server.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;

namespace {

// The publisher's pictures carry this index; the slate's black reads as index 2.
constexpr int kSourceMark = 1;
// How long the destination is watched.
constexpr int kWatchSeconds = 60;
// The publisher's mark counts seconds modulo 50 (see PublisherOptions::mark_index).
constexpr double kMarkPeriod = 50;
// The mark is a rounded colour (4 luma levels a second): from one picture to the next it may
// move back one level or forward three (a quarter and three quarters of a second) with nothing
// lost or repeated. A repeated or skipped segment moves it by whole segments.
constexpr double kMarkJitterBack = 0.25;
constexpr double kMarkJitterForward = 0.75;
// The most the destination's media may run ahead of or behind its wall time.
constexpr double kRealTimeTolerance = 0.02;

struct Watch {
  std::vector<FrameMark> marks;
  std::vector<PacketArrival> arrivals;
  ProbeReport probe;
};

// How the source's pictures at the destination moved through its seconds: steps back (a
// segment sent again) and jumps forward (content skipped), with the first of each.
struct MarkSteps {
  int backward = 0;
  int forward = 0;
  std::string first_backward;
  std::string first_forward;
};

std::string describe_step(size_t frame, double from, double to) {
  std::ostringstream text;
  text << "picture " << frame << ": " << from << " s -> " << to << " s";
  return text.str();
}

MarkSteps mark_steps(const std::vector<FrameMark>& marks) {
  MarkSteps steps;
  std::optional<size_t> last;
  for (size_t i = 0; i < marks.size(); ++i) {
    if (marks[i].file_index != kSourceMark) continue;  // counted as foreign pictures instead
    if (last) {
      double from = marks[*last].clip_seconds;
      double to = marks[i].clip_seconds;
      double step = to - from;
      if (step < -kMarkPeriod / 2) step += kMarkPeriod;  // the mark wrapped around
      if (step < -kMarkJitterBack) {
        if (steps.backward++ == 0) steps.first_backward = describe_step(i, from, to);
      } else if (step > kMarkJitterForward) {
        if (steps.forward++ == 0) steps.first_forward = describe_step(i, from, to);
      }
    }
    last = i;
  }
  return steps;
}

// Media seconds over wall seconds of the video that arrived.
double media_per_wall(const std::vector<PacketArrival>& arrivals) {
  const PacketArrival* first = nullptr;
  const PacketArrival* last = nullptr;
  for (const PacketArrival& arrival : arrivals) {
    if (!arrival.is_video) continue;
    if (!first) first = &arrival;
    last = &arrival;
  }
  if (!first || last->wall_seconds <= first->wall_seconds) return 0;
  return (last->dts_seconds - first->dts_seconds) / (last->wall_seconds - first->wall_seconds);
}

// The end of the server's log without its HTTP request lines (the tests poll the API).
std::string relay_log_tail(const std::string& log, size_t size) {
  std::istringstream lines(log);
  std::string kept;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("request_id=") == std::string::npos) kept += line + "\n";
  }
  return kept.size() > size ? kept.substr(kept.size() - size) : kept;
}

// A live channel: ffmpeg's hls muxer writing into a folder an HTTP server serves (nginx's files
// folder unless a test says otherwise), nginx-rtmp as the destination, and a relay server.
class HlsChannel : public ::testing::Test {
 protected:
  TempDir dir;
  NginxRtmp nginx{dir.file("nginx")};
  std::unique_ptr<LivePublisher> publisher;
  std::unique_ptr<RelayServer> server;

  virtual int segment_seconds() const = 0;
  virtual std::string channel_folder() const { return nginx.files_folder() + "/live"; }
  virtual std::string playlist_url() const { return nginx.file_url("live/live.m3u8"); }

  void SetUp() override {
    std::filesystem::create_directories(channel_folder());
    PublisherOptions options;
    options.mark_index = kSourceMark;
    options.format = "hls";
    options.output_args = {"-hls_time",      std::to_string(segment_seconds()),
                           "-hls_list_size", "6",
                           "-hls_flags",     "delete_segments"};
    publisher = std::make_unique<LivePublisher>(channel_folder() + "/live.m3u8",
                                                dir.file("publisher.log"), options);
    publisher->start();
    // A playlist of a few segments, as a viewer of a running channel finds it.
    ASSERT_TRUE(eventually([&] { return hls_segments_listed(playlist_url()) >= 3; },
                           std::chrono::seconds(4 * segment_seconds() + 10)))
        << read_file(dir.file("publisher.log"));
    server = std::make_unique<RelayServer>(dir.file("relay"));
  }

  void TearDown() override {
    if (HasFailure() && server)
      std::cerr << "---- server log (its end) ----\n" << relay_log_tail(server->log(), 20000);
  }

  std::string start_relay() {
    std::string id = server->create_task(live_task(playlist_url(), nginx.url("dst")));
    EXPECT_TRUE(server->wait_for_flow(id, 20s)) << server->task_info(id).dump();
    return id;
  }

  int reconnects(const std::string& id) {
    return server->task_info(id)["runtime"]["reconnects"].get<int>();
  }

  // Watches the destination with three readers at once.
  Watch watch_destination(int seconds) {
    std::string url = nginx.url("dst");
    auto marks = std::async(std::launch::async,
                            [&] { return read_frame_marks(url, seconds, dir.file("marks.log")); });
    auto arrivals =
        std::async(std::launch::async, [&] { return read_packet_arrivals(url, seconds); });
    auto probed =
        std::async(std::launch::async, [&] { return probe(url, seconds, dir.file("probe.log")); });
    return {marks.get(), arrivals.get(), probed.get()};
  }
};

class HlsLiveTest : public HlsChannel, public ::testing::WithParamInterface<int> {
 protected:
  int segment_seconds() const override { return GetParam(); }
};

class HlsStopTest : public HlsChannel {
 protected:
  int segment_seconds() const override { return 2; }
};

// The channel served by a plain file server that can be made to refuse every request for a
// while, so the relay loses its source and opens it again.
class HlsReopenTest : public HlsChannel {
 protected:
  PlainFileServer files{dir.file("www")};

  int segment_seconds() const override { return 2; }
  std::string channel_folder() const override { return dir.file("www") + "/live"; }
  std::string playlist_url() const override { return files.url("live/live.m3u8"); }
};

}  // namespace

TEST_P(HlsLiveTest, IsRelayedAtRealTimeWithoutSlateReconnectOrRepeatedSegment) {
  std::string id = start_relay();
  Watch seen = watch_destination(kWatchSeconds);

  int foreign = 0;
  for (const FrameMark& mark : seen.marks) foreign += mark.file_index != kSourceMark ? 1 : 0;
  EXPECT_GT(seen.marks.size(), static_cast<size_t>(packets_in(kWatchSeconds, 25)));
  EXPECT_EQ(foreign, 0) << "of " << seen.marks.size()
                        << " pictures were not the source's (the slate's black reads as 2)";

  MarkSteps steps = mark_steps(seen.marks);
  EXPECT_EQ(steps.backward, 0) << "content went back (a segment sent again): "
                               << steps.first_backward;
  EXPECT_EQ(steps.forward, 0) << "content skipped: " << steps.first_forward;

  double ratio = media_per_wall(seen.arrivals);
  EXPECT_NEAR(ratio, 1.0, kRealTimeTolerance) << "media seconds per wall second";
  EXPECT_TRUE(is_continuous(seen.probe, "video", packets_in(kWatchSeconds, 25), video_gap(25)));

  EXPECT_EQ(reconnects(id), 0);
  std::cerr << "segments " << segment_seconds() << " s: media/wall " << ratio << ", pictures "
            << seen.marks.size() << ", not the source's " << foreign << ", steps back "
            << steps.backward << ", skips " << steps.forward << ", reconnects " << reconnects(id)
            << "\n";
}

INSTANTIATE_TEST_SUITE_P(SegmentSeconds, HlsLiveTest, ::testing::Values(2, 6),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::to_string(info.param) + "s";
                         });

TEST_F(HlsStopTest, APlaylistThatStopsIsTakenForStalledWithinAboutTwoTargetDurations) {
  std::string id = start_relay();
  sleep_for(std::chrono::seconds(3 * segment_seconds()));
  ASSERT_EQ(reconnects(id), 0);
  publisher->stop();  // the playlist stays, and is no longer updated
  auto stopped = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return reconnects(id) > 0; }, 30s));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
  // The relay plays about a segment behind the newest; once that has gone out, two target
  // durations without a packet mean the source stopped.
  EXPECT_LE(seconds, 4.0 * segment_seconds() + 1.5);
  EXPECT_NE(server->task_info(id)["runtime"]["last_error"].get<std::string>().find(
                "no data within the time limit"),
            std::string::npos)
      << server->task_info(id)["runtime"].dump();
  std::cerr << "stopped playlist of " << segment_seconds() << " s segments noticed after "
            << seconds << " s\n";
}

TEST_F(HlsReopenTest, ASourceOpenedAgainSendsNothingTheDestinationAlreadyHas) {
  constexpr int kSeconds = 24;
  std::string id = start_relay();
  auto watching = std::async(std::launch::async, [&] { return watch_destination(kSeconds); });
  sleep_for(6s);
  files.forbid(true);  // the next playlist reload fails: the relay opens the source again
  ASSERT_TRUE(eventually([&] { return reconnects(id) > 0; }, 10s));
  files.forbid(false);
  Watch seen = watching.get();
  MarkSteps steps = mark_steps(seen.marks);
  EXPECT_GT(seen.marks.size(), static_cast<size_t>(packets_in(kSeconds, 25) / 2));
  EXPECT_EQ(steps.backward, 0) << "content went back (a segment sent again): "
                               << steps.first_backward;
  EXPECT_TRUE(is_continuous(seen.probe, "video", packets_in(kSeconds, 25), video_gap(25)));
  std::cerr << "reopened: reconnects " << reconnects(id) << ", steps back " << steps.backward
            << ", skips " << steps.forward << "\n";
}
