// Every kind of source and stream shape a user brings, relayed to a real nginx-rtmp and read
// back with ffprobe: RTSP from GStreamer's server, RTMPS in and out through TLS, HTTP-FLV from
// ffmpeg's own HTTP server; audio-only, video-only, B-frames, 48 kHz stereo, a picture size that
// changes mid-stream, and timestamps that start far in.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "support/media_files.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/relay_fixture.h"
#include "support/relay_server.h"
#include "support/rtsp_server.h"
#include "support/temp_dir.h"
#include "support/tls_ingest.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class SourceKindsTest : public RelayWithNginxTest {
 protected:
  // Relays `source` to nginx's "out" and reads `seconds` of it once media flows.
  ProbeReport relay_and_read(const std::string& source, int seconds, bool with_frames = false) {
    std::string id = server->create_task(live_task(source, nginx.url("out")));
    EXPECT_TRUE(server->wait_for_flow(id, 20s)) << server->task_info(id).dump();
    return probe(nginx.url("out"), seconds, dir.file("probe.log"), with_frames);
  }

  const ProbedStream* stream_of(const ProbeReport& report, const std::string& type) {
    for (const ProbedStream& stream : report.streams) {
      if (stream.type == type) return &stream;
    }
    return nullptr;
  }

  void publish(LivePublisher& publisher, const std::string& stream) {
    publisher.start();
    ASSERT_TRUE(eventually([&] { return nginx.is_publishing(stream); }, 15s)) << stream;
  }
};

}  // namespace

TEST_F(SourceKindsTest, AnRtspCameraIsRelayed) {
  ClipOptions clip;
  clip.seconds = 30;
  clip.file_index = 2;
  make_clip(dir.file("camera.mp4"), clip);
  RtspServer camera(dir.file("rtsp"), dir.file("camera.mp4"));
  auto marks = std::async(std::launch::async, [&] {
    eventually([&] { return nginx.is_publishing("out"); }, 20s);
    return read_frame_marks(nginx.url("out"), 5, dir.file("rtsp-marks.log"));
  });
  ProbeReport report = relay_and_read(camera.url(), 5);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(5, 25), video_gap(25)));
  EXPECT_TRUE(is_continuous(report, "audio", packets_in(5, 43), aac_gap(44100)));
  auto seen = marks.get();
  ASSERT_FALSE(seen.empty()) << "no pictures";
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](const FrameMark& mark) {
    return mark.file_index == 2;
  })) << "the camera's pictures did not arrive as they were";
}

TEST_F(SourceKindsTest, RtmpsInAndOutThroughTls) {
  TlsIngest tls(dir.file("tls"), nginx.rtmp_port());
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"));
  publish(publisher, "src");
  server.reset();
  server = std::make_unique<RelayServer>(
      dir.file("relay-tls"), std::vector<std::string>{"--tls-ca-file", tls.certificate()});
  std::string id = server->create_task(live_task(tls.url("src"), tls.url("out")));
  ASSERT_TRUE(server->wait_for_flow(id, 20s)) << server->task_info(id).dump();
  ProbeReport report = probe(nginx.url("out"), 4, dir.file("probe.log"));
  EXPECT_TRUE(is_continuous(report, "video", packets_in(4, 25), video_gap(25)));
  EXPECT_TRUE(is_continuous(report, "audio", packets_in(4, 43), aac_gap(44100)));
}

TEST_F(SourceKindsTest, HttpFlvFromAWebServerIsRelayed) {
  std::string url = "http://127.0.0.1:" + std::to_string(free_port()) + "/live/cam.flv";
  PublisherOptions options;
  options.output_args = {"-listen", "1"};  // ffmpeg serves the stream to the one client
  LivePublisher publisher(url, dir.file("publisher.log"), options);
  publisher.start();
  ProbeReport report = relay_and_read(url, 5);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(5, 25), video_gap(25)));
  EXPECT_TRUE(is_continuous(report, "audio", packets_in(5, 43), aac_gap(44100)));
}

TEST_F(SourceKindsTest, AnAudioOnlyStreamIsRelayed) {
  PublisherOptions options;
  options.has_video = false;
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"), options);
  publish(publisher, "src");
  ProbeReport report = relay_and_read(nginx.url("src"), 5);
  EXPECT_FALSE(report.has_stream("video"));
  EXPECT_TRUE(is_continuous(report, "audio", packets_in(5, 43), aac_gap(44100)));
}

TEST_F(SourceKindsTest, AVideoOnlyStreamIsRelayed) {
  PublisherOptions options;
  options.has_audio = false;
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"), options);
  publish(publisher, "src");
  ProbeReport report = relay_and_read(nginx.url("src"), 5);
  EXPECT_FALSE(report.has_stream("audio"));
  EXPECT_TRUE(is_continuous(report, "video", packets_in(5, 25), video_gap(25)));
}

TEST_F(SourceKindsTest, BFramesKeepTheirPresentationTimes) {
  PublisherOptions options;
  options.b_frames = 2;
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"), options);
  publish(publisher, "src");
  ProbeReport report = relay_and_read(nginx.url("src"), 5);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(5, 25), video_gap(25)));
  int reordered = 0;
  for (const ProbedPacket& packet : report.packets) {
    if (packet.type != "video") continue;
    EXPECT_GE(packet.pts + 1e-6, packet.dts) << "a frame shown before it is decoded";
    reordered += packet.pts > packet.dts + 1e-6 ? 1 : 0;
  }
  EXPECT_GT(reordered, packets_in(5, 25) / 3) << "the composition times were lost";
}

TEST_F(SourceKindsTest, FortyEightKilohertzStereoAacIsRelayedAsItIs) {
  PublisherOptions options;
  options.audio_sample_rate = 48000;
  options.audio_channels = 2;
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"), options);
  publish(publisher, "src");
  ProbeReport report = relay_and_read(nginx.url("src"), 5);
  const ProbedStream* audio = stream_of(report, "audio");
  ASSERT_NE(audio, nullptr);
  EXPECT_EQ(audio->sample_rate, 48000);
  EXPECT_EQ(audio->channels, 2);
  // 48 kHz AAC: 46.9 frames a second.
  EXPECT_TRUE(is_continuous(report, "audio", packets_in(5, 47), aac_gap(48000)));
}

TEST_F(SourceKindsTest, APictureSizeThatChangesMidStreamIsAnnouncedAndPlays) {
  PublisherOptions large;
  large.size = "320x240";
  LivePublisher first(nginx.url("src"), dir.file("publisher-1.log"), large);
  publish(first, "src");
  std::string id = server->create_task(live_task(nginx.url("src"), nginx.url("out")));
  ASSERT_TRUE(server->wait_for_flow(id, 20s));
  auto reading = std::async(std::launch::async, [&] {
    return probe(nginx.url("out"), 10, dir.file("probe.log"), /*with_frames=*/true);
  });
  sleep_for(3s);
  // The encoder restarts with another size on the same stream (new SPS/PPS), as a camera whose
  // resolution is changed does; the relay's player session stays.
  first.stop();
  PublisherOptions small;
  small.size = "160x120";
  LivePublisher second(nginx.url("src"), dir.file("publisher-2.log"), small);
  publish(second, "src");
  ProbeReport report = reading.get();
  std::vector<std::string> sizes;
  for (const ProbedFrame& frame : report.video_frames) {
    std::string size = std::to_string(frame.width) + "x" + std::to_string(frame.height);
    if (sizes.empty() || sizes.back() != size) sizes.push_back(size);
  }
  EXPECT_EQ(sizes, (std::vector<std::string>{"320x240", "160x120"}));
  EXPECT_EQ(report.non_monotonic_dts("video"), 0);
  EXPECT_EQ(nginx.ended_publish_sessions("out"), 0) << "the destination saw a new session";
}

TEST_F(SourceKindsTest, ASourceWhoseTimestampsStartBeyondTwentyFourBitsIsRelayed) {
  PublisherOptions options;
  options.output_args = {"-output_ts_offset", "17000"};  // 17,000,000 ms > 2^24 ms
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"), options);
  publish(publisher, "src");
  ProbeReport report = relay_and_read(nginx.url("src"), 5);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(5, 25), video_gap(25)));
  EXPECT_TRUE(is_continuous(report, "audio", packets_in(5, 43), aac_gap(44100)));
}

TEST_F(SourceKindsTest, ASourceCrossingTwoToTheThirtyFirstMillisecondsGoesOnEvenly) {
  // Timestamps reach 2^31 ms about four seconds in (FFmpeg's FLV writer keeps 31 bits there,
  // so the source wraps to 0: a step back the relay's one timeline must absorb).
  PublisherOptions options;
  options.output_args = {"-output_ts_offset", "2147479.648"};
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"), options);
  publish(publisher, "src");
  ProbeReport report = relay_and_read(nginx.url("src"), 10);
  EXPECT_TRUE(is_continuous(report, "video", packets_in(10, 25), video_gap(25)));
  EXPECT_TRUE(
      is_continuous(report, "audio", packets_in(10, 43), aac_gap_across_segments(44100, 25)));
}

namespace {

// An RTMP front to nginx-rtmp for servers no installed one plays on demand: one that only lets
// in clients using the digest handshake (Flash Player 9 style: a version in C1 and the digest
// in it), as some ingest servers require, or one that breaks off every connection while it is
// told to (an overloaded or failing server). It reads C0+C1, closes the connection when C1
// carries no version and only the digest handshake is let in, and otherwise pipes both ways.
class RtmpFront {
 public:
  enum class Admits { kDigestOnly, kAny };
  RtmpFront(int upstream_port, Admits admits)
      : upstream_port_(upstream_port), port_(free_port()), admits_(admits) {
    listener_ = listen_on_loopback(port_);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~RtmpFront() {
    is_stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : sockets_) shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& thread : threads_) thread.join();
    for (int fd : sockets_) close(fd);
  }
  std::string url(const std::string& stream) const {
    return "rtmp://127.0.0.1:" + std::to_string(port_) + "/live/" + stream;
  }
  int refused() const { return refused_; }
  int admitted() const { return admitted_; }
  // From now on every connection, open or new, is broken off at once (until told otherwise).
  void break_off(bool is_breaking_off) {
    is_breaking_off_ = is_breaking_off;
    if (!is_breaking_off) return;
    std::lock_guard lock(mutex_);
    for (int fd : sockets_) shutdown(fd, SHUT_RDWR);
  }

 private:
  void accept_loop() {
    while (!is_stopping_) {
      int client = accept(listener_, nullptr, nullptr);
      if (client < 0) break;
      if (is_breaking_off_) {
        ++refused_;
        close(client);
        continue;
      }
      std::lock_guard lock(mutex_);
      sockets_.push_back(client);
      threads_.emplace_back([this, client] { serve(client); });
    }
  }

  void serve(int client) {
    std::vector<uint8_t> hello(1 + 1536);
    size_t got = 0;
    while (got < hello.size()) {
      ssize_t n = recv(client, hello.data() + got, hello.size() - got, 0);
      if (n <= 0) return;
      got += static_cast<size_t>(n);
    }
    bool has_version = hello[5] || hello[6] || hello[7] || hello[8];  // C1 bytes 4 to 7
    if (!has_version && admits_ == Admits::kDigestOnly) {
      ++refused_;
      shutdown(client, SHUT_RDWR);
      return;
    }
    ++admitted_;
    int upstream = connect_to_loopback(upstream_port_);
    if (upstream < 0) return;
    {
      std::lock_guard lock(mutex_);
      sockets_.push_back(upstream);
    }
    send(upstream, hello.data(), hello.size(), MSG_NOSIGNAL);
    std::thread back([client, upstream] { pipe_bytes(upstream, client); });
    pipe_bytes(client, upstream);
    back.join();
  }

  static void pipe_bytes(int from, int to) {
    char buffer[65536];
    for (;;) {
      ssize_t n = recv(from, buffer, sizeof buffer, 0);
      if (n <= 0 || send(to, buffer, static_cast<size_t>(n), MSG_NOSIGNAL) <= 0) break;
    }
    shutdown(to, SHUT_WR);
  }

  int upstream_port_;
  int port_;
  Admits admits_;
  int listener_;
  std::atomic<bool> is_stopping_{false};
  std::atomic<bool> is_breaking_off_{false};
  std::mutex mutex_;  // the sockets: added by the sessions, shut down by break_off()
  std::atomic<int> refused_{0};
  std::atomic<int> admitted_{0};
  std::vector<int> sockets_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace

TEST_F(SourceKindsTest, UrlFormsAndServersOurRtmpClientLeavesToLibavformatWork) {
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"));
  publish(publisher, "src");
  RtmpFront digest_only(nginx.rtmp_port(), RtmpFront::Admits::kDigestOnly);
  std::string port = std::to_string(nginx.rtmp_port());
  // Credentials in the source URL and a server that wants the digest handshake. (An app with a
  // query, YouTube's backup form, our client takes itself: see rtmp_urls_test.)
  std::string credentials = "rtmp://viewer:secret@127.0.0.1:" + port + "/live/src";
  std::string a = server->create_task(live_task(credentials, nginx.url("with-credentials")));
  std::string b = server->create_task(live_task(nginx.url("src"), digest_only.url("digest")));
  for (const std::string& id : {a, b}) {
    EXPECT_TRUE(server->wait_for_flow(id, 20s)) << server->task_info(id).dump();
  }
  for (const char* stream : {"with-credentials", "digest"}) {
    ProbeReport report = probe(nginx.url(stream), 3, dir.file(std::string(stream) + ".log"));
    EXPECT_TRUE(is_continuous(report, "video", packets_in(3, 25), video_gap(25))) << stream;
  }
  EXPECT_GE(digest_only.refused(), 1) << "our client's simple handshake was not tried first";
  EXPECT_GE(digest_only.admitted(), 1);
}

// A server our client has had a session with and that then breaks off every connection (an
// overload, an outage) is retried with our client: handing it to libavformat's would park a
// worker thread on each such relay, hundreds of them when a busy ingest sheds connections.
TEST_F(SourceKindsTest, AServerThatBreaksOffAfterASessionIsRetriedWithOurOwnClient) {
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"));
  publish(publisher, "src");
  RtmpFront front(nginx.rtmp_port(), RtmpFront::Admits::kAny);
  std::string id = server->create_task(live_task(nginx.url("src"), front.url("shed")));
  ASSERT_TRUE(server->wait_for_flow(id, 20s)) << server->task_info(id).dump();
  front.break_off(true);
  EXPECT_TRUE(eventually([&] { return front.refused() >= 2; }, 20s))
      << "the relay did not try again: " << server->task_info(id).dump();
  front.break_off(false);
  EXPECT_TRUE(eventually([&] { return nginx.is_publishing("shed"); }, 30s))
      << server->task_info(id).dump();
  EXPECT_EQ(server->log().find("event=rtmp_fallback"), std::string::npos)
      << "left to libavformat's client";
  ProbeReport report = probe(nginx.url("shed"), 3, dir.file("probe.log"));
  EXPECT_TRUE(is_continuous(report, "video", packets_in(3, 25), video_gap(25)));
}

TEST_F(SourceKindsTest, VideoTheDestinationCannotCarryIsReportedNotDroppedSilently) {
  // Sorenson H.263 over RTMP (FLV codec 2), MPEG-2 video over SRT: neither goes into FLV, legacy
  // or enhanced.
  PublisherOptions h263;
  h263.video_codec = "flv1";
  LivePublisher rtmp_publisher(nginx.url("h263"), dir.file("publisher-h263.log"), h263);
  publish(rtmp_publisher, "h263");
  std::string srt = "srt://127.0.0.1:" + std::to_string(free_port());
  PublisherOptions mpeg2;
  mpeg2.video_codec = "mpeg2video";
  mpeg2.format = "mpegts";
  LivePublisher srt_publisher(srt + "?mode=listener", dir.file("publisher-mpeg2.log"), mpeg2);
  srt_publisher.start();
  std::string from_rtmp = server->create_task(live_task(nginx.url("h263"), nginx.url("out-h263")));
  std::string from_srt = server->create_task(live_task(srt, nginx.url("out-mpeg2")));
  struct Case {
    std::string id;
    std::string codec;
    std::string stream;
  };
  for (const Case& item :
       {Case{from_rtmp, "h263", "out-h263"}, Case{from_srt, "mpeg2video", "out-mpeg2"}}) {
    EXPECT_TRUE(server->wait_for_status(item.id, "abnormal", 20s)) << item.codec;
    std::string error = server->task_info(item.id)["runtime"].value("last_error", "");
    EXPECT_NE(error.find("video " + item.codec), std::string::npos) << error;
    bool has_alarm = false;
    for (const json& event : server->events(item.id)) {
      has_alarm |= event["event_type"] == "TaskAlarm" &&
                   event["data"]["alarm"] == "SourceUnsupported" &&
                   event["data"]["error"].get<std::string>().find(item.codec) != std::string::npos;
    }
    EXPECT_TRUE(has_alarm) << item.codec << ": no SourceUnsupported alarm naming it";
    // The audio still goes out, and the task keeps saying it is abnormal while it does.
    ProbeReport report = probe(nginx.url(item.stream), 3, dir.file(item.stream + ".log"));
    EXPECT_TRUE(is_continuous(report, "audio", packets_in(3, 43), aac_gap(44100))) << item.codec;
    EXPECT_FALSE(report.has_stream("video"));
    EXPECT_EQ(server->status_of(item.id), "abnormal");
  }
}

TEST_F(SourceKindsTest, ASingleTrackSourceStartsWithinASecondOfItsFirstFrame) {
  // nginx-rtmp rewrites a single-track stream's metadata with the other codec id as 0.
  PublisherOptions video_only;
  video_only.has_audio = false;
  LivePublisher video(nginx.url("video-only"), dir.file("publisher-video.log"), video_only);
  PublisherOptions audio_only;
  audio_only.has_video = false;
  LivePublisher audio(nginx.url("audio-only"), dir.file("publisher-audio.log"), audio_only);
  publish(video, "video-only");
  publish(audio, "audio-only");
  for (const char* stream : {"video-only", "audio-only"}) {
    auto created = std::chrono::steady_clock::now();
    server->create_task(live_task(nginx.url(stream), nginx.url(std::string("out-") + stream)));
    ASSERT_TRUE(eventually([&] { return nginx.is_publishing(std::string("out-") + stream); }, 10s));
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - created).count();
    // A keyframe comes every second: the video may wait up to one at the source.
    EXPECT_LT(seconds, std::string(stream) == "video-only" ? 2.0 : 1.0) << stream;
  }
}

TEST_F(SourceKindsTest, AnEncoderRestartLeavesNoHoleInEitherTrack) {
  std::string srt = "srt://127.0.0.1:" + std::to_string(free_port());
  PublisherOptions mpegts;
  mpegts.format = "mpegts";
  LivePublisher srt_publisher(srt + "?mode=listener", dir.file("publisher-srt.log"), mpegts);
  LivePublisher rtmp_publisher(nginx.url("src"), dir.file("publisher-rtmp.log"));
  srt_publisher.start();
  publish(rtmp_publisher, "src");
  std::string from_srt = server->create_task(live_task(srt, nginx.url("out-srt")));
  std::string from_rtmp = server->create_task(live_task(nginx.url("src"), nginx.url("out-rtmp")));
  ASSERT_TRUE(server->wait_for_flow(from_srt, 20s));
  ASSERT_TRUE(server->wait_for_flow(from_rtmp, 20s));
  auto srt_reading = std::async(std::launch::async, [&] {
    return probe(nginx.url("out-srt"), 8, dir.file("probe-srt.log"));
  });
  auto rtmp_reading = std::async(std::launch::async, [&] {
    return probe(nginx.url("out-rtmp"), 8, dir.file("probe-rtmp.log"));
  });
  sleep_for(2s);
  // Both encoders restart at once; the relays reconnect within their stall threshold.
  srt_publisher.stop();
  rtmp_publisher.stop();
  srt_publisher.start();
  rtmp_publisher.start();
  for (auto* reading : {&srt_reading, &rtmp_reading}) {
    ProbeReport report = reading->get();
    EXPECT_TRUE(is_continuous(report, "video", packets_in(8, 25), video_gap(25)));
    EXPECT_TRUE(
        is_continuous(report, "audio", packets_in(8, 43), aac_gap_across_segments(44100, 25)));
  }
}
