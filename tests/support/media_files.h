#pragma once

#include <string>
#include <vector>

namespace streamrelay::test_support {

// A generated clip whose pictures carry where they come from: a flat colour whose luma is
// 16 + 4 * (seconds into the clip) and whose blue difference is 64 + 32 * file_index, so a
// reader at the destination can tell which file and which second it is watching.
struct ClipOptions {
  double seconds = 5;
  int file_index = 0;
  std::string size = "160x120";
  int fps = 25;
  int gop = 25;
  bool has_audio = true;
  bool has_b_frames = false;
  std::string format = "mp4";  // or "flv", "webm"
  std::string video_codec = "libx264";
  std::string video_bitrate;  // empty: encoder default
};

void make_clip(const std::string& path, const ClipOptions& options);

// An HLS VOD playlist (`name`.m3u8 and its .ts segments) in `folder`.
void make_hls_clip(const std::string& folder, const std::string& name, const ClipOptions& options);

// A copy of an MP4 with every video sample stored before every audio sample (the tracks far
// apart) and its index at the end.
void make_non_interleaved_mp4(const std::string& source, const std::string& path);

// What one picture at the destination showed.
struct FrameMark {
  int file_index = -1;
  double clip_seconds = 0;
};

// Decodes `seconds` of the stream at `url` and reads every picture's mark (bounded in time).
std::vector<FrameMark> read_frame_marks(const std::string& url, int seconds,
                                        const std::string& log_path);

// The A/V sync pulses of a recorded file (see PublisherOptions::sync_pulses), in its media
// time: the white pictures, and the starts of whole 40 ms beeps (a beep cut at either end would
// date wrong and is left out).
struct SyncPulses {
  std::vector<double> flashes;
  std::vector<double> beeps;
  std::string error;  // set when either track could not be read
};
SyncPulses read_sync_pulses(const std::string& file, const std::string& log_path);

// Audio minus video time of each flash whose nearest beep lies within `window` of where the
// source's own offset `expected` puts it (a flash whose beep was not sent has none).
std::vector<double> av_offsets(const SyncPulses& pulses, double expected, double window);

// When each packet of a stream arrived, against its DTS.
struct PacketArrival {
  double wall_seconds;  // since the first packet arrived
  double dts_seconds;
  bool is_video;
};

std::vector<PacketArrival> read_packet_arrivals(const std::string& url, double seconds);

}  // namespace streamrelay::test_support
