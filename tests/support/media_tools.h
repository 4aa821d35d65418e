#pragma once

#include <gtest/gtest.h>

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
  bool has_video = true;
  int b_frames = 0;  // > 0: H.264 with B-frames (PTS differs from DTS)
  // The video encoder: libx264 by default; "libx265" (HEVC, for MPEG-TS) or "flv1" (Sorenson
  // H.263, for FLV) for codecs the relay cannot carry.
  std::string video_codec = "libx264";
  int audio_sample_rate = 44100;
  int audio_channels = 1;
  std::string format = "flv";  // "mpegts" for SRT
  // Output options before the URL: e.g. {"-listen", "1"} to serve HTTP-FLV, or
  // {"-output_ts_offset", "17000"} for timestamps that start 17000 s in.
  std::vector<std::string> output_args;
  // >= 0: flat pictures carrying this index and the second (see make_clip), instead of a test
  // pattern, so a reader can tell which source it is watching.
  int mark_index = -1;
  // Flat pictures whose luma is 16 + (frame number mod 200): each frame can be recognised.
  bool counts_frames = false;
  // A/V sync pulses: black pictures with one white picture in the middle of every second, and
  // silence with a 40 ms beep starting with it (see read_sync_pulses). Mid-second, so the first
  // pulse of an encoder run follows its first keyframe (what comes before is not relayed).
  bool sync_pulses = false;
  // > 0: the pictures are dated this much later than the sound made with them (as a camera whose
  // video path is slower), so audio leads in the stream and comes first after a restart.
  int video_delay_ms = 0;
};

// GStreamer publishing a generated H.264/AAC live stream (x264enc, voaacenc, flvmux,
// rtmp2sink): an encoder and RTMP stack of its own.
class GstPublisher {
 public:
  GstPublisher(std::string url, std::string log_path)
      : url_(std::move(url)), log_path_(std::move(log_path)) {}
  void start();
  void stop();

 private:
  std::string url_;
  std::string log_path_;
  Process process_;
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
  int sample_rate = 0;
  int channels = 0;
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
  // Packets whose DTS is not above the previous one of the same track (equal counts: two
  // packets of a track at one time are a fault); -1 when the track has no packet at all, so a
  // probe that read nothing never passes as "no fault".
  int non_monotonic_dts(const std::string& type) const;
  // Frames per second over the packets read (count over DTS span).
  double measured_rate(const std::string& type) const;
  double dts_span(const std::string& type) const;
  // The largest step between consecutive DTS of a track; infinity with fewer than two packets.
  double largest_dts_gap(const std::string& type) const;
};

// Whether the probe read a continuous `type` track: at least `min_packets` packets, every DTS
// above the one before, and no step between two of them over `max_gap` seconds (a frame and a
// half of the track's rate, say). The message names the rule that broke and where.
testing::AssertionResult is_continuous(const ProbeReport& report, const std::string& type,
                                       int min_packets, double max_gap);

// A frame and a half of a track, the most one step of a continuous timeline may take: video at
// `fps`, AAC (1024 samples a frame) at `sample_rate`.
inline double video_gap(double fps) {
  return 1.5 / fps + 0.0005;  // FLV keeps milliseconds
}
inline double aac_gap(double sample_rate) {
  return 1.5 * 1024 / sample_rate + 0.0005;
}
// Audio across a segment boundary (a source that returns, the slate, the next file): the new
// segment is anchored on its keyframe, one video frame after the last picture, with one offset
// for both tracks to keep A/V sync; the last audio may end up to a frame before the last picture
// and the first audio follow the keyframe by up to a frame, so the step is at most a video frame
// and two audio frames (and a millisecond of FLV rounding).
inline double aac_gap_across_segments(double sample_rate, double fps) {
  return 2 * 1024 / sample_rate + 1.0 / fps + 0.001;
}

// The packets a probe of `seconds` must at least read of a track at `rate` per second: its first
// second may go to finding the stream's start, and the rest may run a tenth short on a loaded
// machine.
inline int packets_in(int seconds, double rate) {
  return static_cast<int>((seconds - 1) * rate * 0.9);
}

// Records `seconds` of a live RTMP stream with rtmpdump (librtmp: another RTMP stack than ours
// and libavformat's) into a file in `folder`, then reads that file with ffprobe.
ProbeReport read_with_rtmpdump(const std::string& url, int seconds, const std::string& folder);

// How many segments the HLS playlist at `url` lists now (0 when it cannot be read).
int hls_segments_listed(const std::string& url);

// Runs ffprobe on `url` reading `seconds` of media (bounded in wall time too).
ProbeReport probe(const std::string& url, int seconds, const std::string& log_path,
                  bool with_frames = false);

}  // namespace streamrelay::test_support
