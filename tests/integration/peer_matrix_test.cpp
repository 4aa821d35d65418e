// The RTMP world as it is: every source peer against every destination peer, each destination
// read back with another stack than the one that wrote it. Sources: ffmpeg publishing to
// nginx-rtmp, ffmpeg publishing to node-media-server, GStreamer (rtmp2sink) publishing to
// nginx-rtmp. Destinations: nginx-rtmp (read with rtmpdump), node-media-server (read over
// HTTP-FLV with ffprobe) and ffmpeg's own RTMP listen mode (recording a file, read after).
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <future>
#include <map>

#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/node_media_server.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;

namespace {

constexpr int kSeconds = 20;  // read from every destination
constexpr double kFps = 25;   // every publisher's rate

// ffmpeg's own RTMP server mode: takes one publisher and records what it sends into a file.
class FfmpegListener {
 public:
  FfmpegListener(const std::string& folder, const std::string& name)
      : file_(folder + "/" + name + ".flv"), port_(free_port()) {
    std::filesystem::create_directories(folder);
    process_ = Process({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-listen",
                        "1", "-i", url(), "-c", "copy", "-f", "flv", file_},
                       folder + "/" + name + ".log");
  }
  std::string url() const { return "rtmp://127.0.0.1:" + std::to_string(port_) + "/live/in"; }
  // Ends the recording (the publisher may still be connected) and reads the file.
  ProbeReport read(const std::string& log) {
    process_.stop(SIGINT, std::chrono::seconds(5));
    return probe(file_, kSeconds * 3, log);
  }

 private:
  std::string file_;
  int port_;
  Process process_;
};

}  // namespace

TEST(PeerMatrix, EverySourcePeerReachesEveryDestinationPeerWhole) {
  TempDir dir;
  NginxRtmp nginx(dir.file("nginx"));
  NodeMediaServer nms(dir.file("nms"));
  LivePublisher to_nginx(nginx.url("ffmpeg"), dir.file("pub-ffmpeg.log"));
  LivePublisher to_nms(nms.url("ffmpeg"), dir.file("pub-nms.log"));
  GstPublisher gst(nginx.url("gst"), dir.file("pub-gst.log"));
  to_nginx.start();
  to_nms.start();
  gst.start();
  std::map<std::string, std::string> sources = {{"ffmpeg-nginx", nginx.url("ffmpeg")},
                                                {"ffmpeg-nms", nms.url("ffmpeg")},
                                                {"gst-nginx", nginx.url("gst")}};
  ASSERT_TRUE(
      eventually([&] { return nginx.is_publishing("ffmpeg") && nginx.is_publishing("gst"); }, 20s));
  std::map<std::string, std::unique_ptr<FfmpegListener>> listeners;
  for (const auto& [name, url] : sources) {
    listeners[name] = std::make_unique<FfmpegListener>(dir.file("listen"), name);
  }
  RelayServer server(dir.file("relay"));
  for (const auto& [name, url] : sources) {
    server.create_task(live_task(url, nginx.url("to-nginx-" + name)));
    server.create_task(live_task(url, nms.url("to-nms-" + name)));
    server.create_task(live_task(url, listeners[name]->url()));
  }
  // Read every destination at once, each with a stack other than ours.
  std::map<std::string, std::future<ProbeReport>> reads;
  for (const auto& [name, url] : sources) {
    std::string source = name;
    ASSERT_TRUE(eventually([&] { return nginx.is_publishing("to-nginx-" + source); }, 20s)) << name;
    // node-media-server's HTTP-FLV answers a stream that is not published yet with nothing.
    ASSERT_TRUE(eventually([&] { return nms.publish_sessions("to-nms-" + source) > 0; }, 20s))
        << name;
    reads["nginx <- " + name] = std::async(std::launch::async, [&, source] {
      return read_with_rtmpdump(nginx.url("to-nginx-" + source), kSeconds,
                                dir.file("rtmpdump-" + source));
    });
    reads["nms <- " + name] = std::async(std::launch::async, [&, source] {
      return probe(nms.flv_url("to-nms-" + source), kSeconds, dir.file("nms-" + source + ".log"));
    });
  }
  for (auto& [pair, reading] : reads) {
    ProbeReport report = reading.get();
    SCOPED_TRACE(pair);
    EXPECT_TRUE(report.has_stream("audio"));
    EXPECT_TRUE(is_continuous(report, "video", packets_in(kSeconds - 2, kFps), video_gap(kFps)));
    EXPECT_TRUE(is_continuous(report, "audio", packets_in(kSeconds - 2, 43),
                              aac_gap_across_segments(44100, kFps)));
  }
  for (auto& [name, listener] : listeners) {
    SCOPED_TRACE("ffmpeg listen <- " + name);
    ProbeReport report = listener->read(dir.file("listen-" + name + ".log"));
    EXPECT_TRUE(report.has_stream("audio"));
    EXPECT_TRUE(is_continuous(report, "video", packets_in(kSeconds, kFps), video_gap(kFps)));
    EXPECT_TRUE(is_continuous(report, "audio", packets_in(kSeconds, 43),
                              aac_gap_across_segments(44100, kFps)));
  }
  // One publish session each, as the destination servers recorded them.
  for (const auto& [name, url] : sources) {
    EXPECT_EQ(nginx.publish_sessions("to-nginx-" + name).size(), 1u) << name;
    EXPECT_EQ(nms.publish_sessions("to-nms-" + name), 1) << name;
  }
}
