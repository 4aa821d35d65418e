// One output timeline across a source's discontinuities, with real peers: an RTMP publisher that
// restarts with timestamps from 0 behind nginx-rtmp, an SRT encoder that restarts, and a live HLS
// playlist that two encoder runs write one after the other (an #EXT-X-DISCONTINUITY between
// them). The encoder sends A/V sync pulses (a white picture and a beep at the start of every
// second); the destination is recorded with rtmpdump (librtmp, another RTMP stack than the
// relay's) and the recording is decoded: the pulses show the A/V offset before and after the
// restart, ffprobe shows every track's DTS strictly increasing, and nginx's log shows one
// publish session.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <future>
#include <sstream>

#include "support/http_client.h"
#include "support/media_files.h"
#include "support/media_tools.h"
#include "support/relay_fixture.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;

namespace {

// The A/V offset after a restart may differ from the one before by this much at most.
constexpr double kMaxOffsetChange = 0.050;
// The encoder dates its pictures this much after the sound (audio leads in the stream and comes
// first after a restart): a timeline that re-anchors each track on its own loses the offset.
constexpr int kVideoDelayMs = 200;

PublisherOptions pulses(const std::string& format = "flv") {
  PublisherOptions options;
  options.sync_pulses = true;
  options.video_delay_ms = kVideoDelayMs;
  options.format = format;
  return options;
}

class TimelinePeersTest : public RelayWithNginxTest {
 protected:
  void relay_to_out(const std::string& source) {
    std::string id = server->create_task(live_task(source, nginx.url("out")));
    ASSERT_TRUE(server->wait_for_flow(id, 30s)) << server->task_info(id).dump();
  }

  // Records `seconds` of the destination, restarting the encoder `restart_after` in, and checks
  // the recording: continuous tracks, strictly increasing DTS, one publish session, and every
  // sync pulse's A/V offset within kMaxOffsetChange of the first one's.
  void expect_one_timeline(int seconds, std::chrono::seconds restart_after,
                           const std::function<void()>& restart) {
    std::string folder = dir.file("recording");
    auto recording = std::async(
        std::launch::async, [&] { return read_with_rtmpdump(nginx.url("out"), seconds, folder); });
    sleep_for(restart_after);
    restart();
    ProbeReport report = recording.get();
    // The recording lasts `seconds` of wall time, of which the restart may take up to the
    // stall threshold and a reconnect, with nothing to send meanwhile: about 3 s less media.
    int media_seconds = seconds - 3;
    EXPECT_TRUE(is_continuous(report, "video", packets_in(media_seconds, 25), video_gap(25)));
    EXPECT_TRUE(is_continuous(report, "audio", packets_in(media_seconds, 43),
                              aac_gap_across_segments(44100, 25)));
    EXPECT_EQ(nginx.publish_sessions("out").size(), 1u) << "the destination was published again";

    SyncPulses seen = read_sync_pulses(folder + "/dump.flv", dir.file("pulses.log"));
    ASSERT_TRUE(seen.error.empty()) << seen.error;
    // A beep further than this from where it belongs is not paired (the count below fails).
    constexpr double kPairingWindow = 0.2;
    std::vector<double> offsets = av_offsets(seen, -kVideoDelayMs / 1000.0, kPairingWindow);
    std::ostringstream listed;
    for (double offset : offsets) listed << " " << std::lround(offset * 1000);
    std::cerr << "A/V offsets (ms) of " << offsets.size() << " pulses (" << seen.flashes.size()
              << " flashes, " << seen.beeps.size() << " beeps):" << listed.str() << "\n";
    // A restart may cost a second or two of pulses (the encoder's start, the relay's reconnect,
    // the slate); the rest must all be there, so some follow the restart.
    double after_restart = seconds - restart_after.count();
    ASSERT_GE(offsets.size(), static_cast<size_t>(restart_after.count() - 1 + after_restart - 4))
        << "pulses missing: flashes " << seen.flashes.size() << ", beeps " << seen.beeps.size();
    double first = offsets.front();
    EXPECT_LT(std::fabs(first + kVideoDelayMs / 1000.0), 0.1) << "the source's own A/V offset";
    for (size_t i = 0; i < offsets.size(); ++i) {
      EXPECT_LE(std::fabs(offsets[i] - first), kMaxOffsetChange)
          << "pulse " << i << ": A/V offset " << offsets[i] << " s, " << first << " s before";
    }
  }
};

}  // namespace

TEST_F(TimelinePeersTest, AnRtmpPublisherRestartingFromZeroKeepsOneTimelineAndAvSync) {
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"), pulses());
  publisher.start();
  ASSERT_TRUE(eventually([&] { return nginx.is_publishing("src"); }, 15s));
  relay_to_out(nginx.url("src"));
  expect_one_timeline(14, 5s, [&] {
    publisher.stop();
    publisher.start();  // a new session at nginx: timestamps from 0 again
  });
}

TEST_F(TimelinePeersTest, AnSrtEncoderRestartKeepsOneTimelineAndAvSync) {
  std::string srt = "srt://127.0.0.1:" + std::to_string(free_port());
  LivePublisher publisher(srt + "?mode=listener", dir.file("publisher.log"), pulses("mpegts"));
  publisher.start();
  relay_to_out(srt);
  expect_one_timeline(14, 5s, [&] {
    publisher.stop();
    publisher.start();
  });
}

TEST_F(TimelinePeersTest, AnHlsPlaylistWithADiscontinuityKeepsOneTimelineAndAvSync) {
  std::string folder = nginx.files_folder() + "/live";
  std::filesystem::create_directories(folder);
  std::string playlist = nginx.file_url("live/live.m3u8");
  auto encoder_run = [&](const std::string& name, const std::string& flags) {
    PublisherOptions options = pulses("hls");
    options.output_args = {"-hls_time", "2", "-hls_list_size", "6", "-hls_flags", flags};
    return std::make_unique<LivePublisher>(folder + "/live.m3u8", dir.file(name), options);
  };
  auto first = encoder_run("publisher-1.log", "delete_segments");
  first->start();
  ASSERT_TRUE(eventually([&] { return hls_segments_listed(playlist) >= 3; }, 20s));
  relay_to_out(playlist);
  // The second run appends to the first's playlist, after an #EXT-X-DISCONTINUITY, with
  // timestamps from the start again.
  auto second = encoder_run("publisher-2.log", "delete_segments+append_list");
  expect_one_timeline(22, 6s, [&] {
    first->stop();
    second->start();
    EXPECT_TRUE(eventually(
        [&] {
          return HttpClient().request("GET", playlist).body.find("#EXT-X-DISCONTINUITY") !=
                 std::string::npos;
        },
        10s))
        << "the second run did not mark a discontinuity: "
        << HttpClient().request("GET", playlist).body;
  });
}
