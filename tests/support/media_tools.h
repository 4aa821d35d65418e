#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "support/process.h"

namespace streamrelay::test_support {

struct PublisherOptions {
  int fps = 25;
  std::string size = "320x240";
  int gop = 25;  // frames between keyframes
  std::string video_bitrate = "300k";
  bool has_audio = true;
  std::string format = "flv";  // "mpegts" for SRT
  // >= 0: flat pictures carrying this index and the second (see make_clip), instead of a test
  // pattern, so a reader can tell which source it is watching.
  int mark_index = -1;
  // Flat pictures whose luma is 16 + (frame number mod 200): each frame can be recognised.
  bool counts_frames = false;
};

// The ffmpeg program publishing a generated H.264/AAC live stream in real time.
class LivePublisher {
 public:
  LivePublisher(std::string url, std::string log_path, PublisherOptions options = {});
  void start();
  void stop();
  void suspend();  // SIGSTOP: the connection stays open, nothing is sent
  void resume();

 private:
  std::string url_;
  std::string log_path_;
  PublisherOptions options_;
  Process process_;
};

struct ProbedPacket {
  std::string type;  // "video" or "audio"
  double dts = 0;    // seconds
  double pts = 0;
  bool is_keyframe = false;
};

struct ProbedStream {
  std::string type;
  std::string codec;
  double frame_rate = 0;
  int width = 0;
  int height = 0;
};

struct ProbedFrame {
  double dts = 0;
  int width = 0;
  int height = 0;
};

// What ffprobe read from a URL.
struct ProbeReport {
  bool is_ok = false;
  std::string error;
  std::vector<ProbedStream> streams;
  std::vector<ProbedPacket> packets;
  std::vector<ProbedFrame> video_frames;  // only when asked for (decoding costs time)

  bool has_stream(const std::string& type) const;
  int count(const std::string& type) const;
  // Packets whose DTS is below the previous one of the same track.
  int non_monotonic_dts(const std::string& type) const;
  // Frames per second over the packets read (count over DTS span).
  double measured_rate(const std::string& type) const;
  double dts_span(const std::string& type) const;
  // The largest step between consecutive DTS of a track.
  double largest_dts_gap(const std::string& type) const;
};

// Runs ffprobe on `url` reading `seconds` of media (bounded in wall time too).
ProbeReport probe(const std::string& url, int seconds, const std::string& log_path,
                  bool with_frames = false);

}  // namespace streamrelay::test_support
