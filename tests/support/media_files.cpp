#include "support/media_files.h"

extern "C" {
#include <libavformat/avformat.h>
}

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "support/process.h"

namespace streamrelay::test_support {
namespace {

std::vector<std::string> clip_arguments(const ClipOptions& options) {
  std::string video = "color=c=black:s=" + options.size + ":r=" + std::to_string(options.fps) +
                      ",format=yuv420p,geq=lum='16+4*T':cb='" +
                      std::to_string(64 + 32 * options.file_index) + "':cr=128";
  std::vector<std::string> args = {"ffmpeg",   "-hide_banner", "-loglevel", "error", "-y",
                                   "-nostdin", "-f",           "lavfi",     "-i",    video};
  if (options.has_audio) {
    args.insert(args.end(), {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"});
  }
  args.insert(args.end(),
              {"-t", std::to_string(options.seconds), "-c:v", options.video_codec, "-g",
               std::to_string(options.gop), "-keyint_min", std::to_string(options.gop)});
  if (options.video_codec == "libx264") {
    args.insert(args.end(), {"-preset", "veryfast", "-bf", options.has_b_frames ? "2" : "0"});
  } else if (options.video_codec == "libx265") {
    // B-frames (x265's default): HEVC frames with a composition time.
    args.insert(args.end(), {"-preset", "ultrafast", "-x265-params", "log-level=error"});
  } else if (options.video_codec == "libsvtav1") {
    args.insert(args.end(), {"-preset", "12"});
  } else if (options.video_codec == "libvpx-vp9") {
    args.insert(args.end(), {"-deadline", "realtime", "-cpu-used", "8"});
  }
  if (!options.video_bitrate.empty()) {
    args.insert(args.end(), {"-b:v", options.video_bitrate, "-x264-params", "nal-hrd=cbr",
                             "-maxrate", options.video_bitrate, "-bufsize", "1M"});
  }
  if (options.has_audio) args.insert(args.end(), {"-c:a", "aac", "-b:a", "64k"});
  return args;
}

void run_ffmpeg(const std::vector<std::string>& args, const std::string& log) {
  Process ffmpeg(args, log);
  if (ffmpeg.wait(std::chrono::seconds(120)) != 0) {
    throw std::runtime_error("ffmpeg failed: " + read_file(log));
  }
}

}  // namespace

void make_clip(const std::string& path, const ClipOptions& options) {
  auto args = clip_arguments(options);
  args.insert(args.end(), {"-f", options.format, path});
  run_ffmpeg(args, path + ".log");
}

void make_hls_clip(const std::string& folder, const std::string& name, const ClipOptions& options) {
  std::filesystem::create_directories(folder);
  auto args = clip_arguments(options);
  args.insert(args.end(),
              {"-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_filename",
               folder + "/" + name + "-%03d.ts", folder + "/" + name + ".m3u8"});
  run_ffmpeg(args, folder + "/" + name + ".log");
}

void make_non_interleaved_mp4(const std::string& source, const std::string& path) {
  AVFormatContext* input = nullptr;
  if (avformat_open_input(&input, source.c_str(), nullptr, nullptr) < 0) {
    throw std::runtime_error("cannot open " + source);
  }
  avformat_find_stream_info(input, nullptr);
  AVFormatContext* output = nullptr;
  avformat_alloc_output_context2(&output, nullptr, "mp4", path.c_str());
  for (unsigned i = 0; i < input->nb_streams; ++i) {
    AVStream* stream = avformat_new_stream(output, nullptr);
    avcodec_parameters_copy(stream->codecpar, input->streams[i]->codecpar);
    stream->codecpar->codec_tag = 0;
    stream->time_base = input->streams[i]->time_base;
  }
  avio_open(&output->pb, path.c_str(), AVIO_FLAG_WRITE);
  if (avformat_write_header(output, nullptr) < 0) throw std::runtime_error("mp4 header");
  // Read everything, then write one track after the other with the non-interleaving call.
  std::vector<AVPacket*> packets;
  AVPacket* packet = av_packet_alloc();
  while (av_read_frame(input, packet) >= 0) {
    packets.push_back(av_packet_clone(packet));
    av_packet_unref(packet);
  }
  av_packet_free(&packet);
  for (AVMediaType type : {AVMEDIA_TYPE_VIDEO, AVMEDIA_TYPE_AUDIO}) {
    for (AVPacket* item : packets) {
      if (input->streams[item->stream_index]->codecpar->codec_type != type) continue;
      av_packet_rescale_ts(item, input->streams[item->stream_index]->time_base,
                           output->streams[item->stream_index]->time_base);
      av_write_frame(output, item);
    }
  }
  av_write_trailer(output);
  for (AVPacket* item : packets) av_packet_free(&item);
  avio_closep(&output->pb);
  avformat_free_context(output);
  avformat_close_input(&input);
}

std::vector<FrameMark> read_frame_marks(const std::string& url, int seconds,
                                        const std::string& log_path) {
  std::string raw_path = log_path + ".yuv";
  std::filesystem::remove(raw_path);
  Process ffmpeg({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i", url, "-t",
                  std::to_string(seconds), "-an", "-vf", "scale=1:1,format=yuv444p",
                  "-flush_packets", "1", "-f", "rawvideo", "-y", raw_path},
                 log_path);
  // An RTMP reader does not notice a stream that ends: it is stopped a little after its
  // duration; every picture was written out as it came (-flush_packets).
  ffmpeg.wait(std::chrono::seconds(seconds + 8));
  std::string raw = read_file(raw_path);
  std::vector<FrameMark> marks;
  for (size_t i = 0; i + 2 < raw.size(); i += 3) {
    auto luma = static_cast<unsigned char>(raw[i]);
    auto blue = static_cast<unsigned char>(raw[i + 1]);
    FrameMark mark;
    mark.file_index = static_cast<int>(std::lround((blue - 64.0) / 32.0));
    mark.clip_seconds = (luma - 16.0) / 4.0;
    marks.push_back(mark);
  }
  return marks;
}

namespace {

int past_deadline(void* deadline) {
  return std::chrono::steady_clock::now() >
         *static_cast<std::chrono::steady_clock::time_point*>(deadline);
}

}  // namespace

std::vector<PacketArrival> read_packet_arrivals(const std::string& url, double seconds) {
  std::vector<PacketArrival> arrivals;
  // Bounded in wall time: a reader of a stream that ended would otherwise wait for ever.
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000) + 20000);
  AVFormatContext* input = avformat_alloc_context();
  input->interrupt_callback = {past_deadline, &deadline};
  if (avformat_open_input(&input, url.c_str(), nullptr, nullptr) < 0) return arrivals;
  AVPacket* packet = av_packet_alloc();
  std::chrono::steady_clock::time_point first{};
  while (av_read_frame(input, packet) >= 0) {
    auto now = std::chrono::steady_clock::now();
    if (arrivals.empty()) first = now;
    AVStream* stream = input->streams[packet->stream_index];
    if (packet->dts != AV_NOPTS_VALUE) {
      double wall = std::chrono::duration<double>(now - first).count();
      arrivals.push_back({wall, packet->dts * av_q2d(stream->time_base),
                          stream->codecpar->codec_type == AVMEDIA_TYPE_VIDEO});
      if (wall >= seconds) {
        av_packet_unref(packet);
        break;
      }
    }
    av_packet_unref(packet);
  }
  av_packet_free(&packet);
  avformat_close_input(&input);
  return arrivals;
}

}  // namespace streamrelay::test_support

namespace streamrelay::test_support {
namespace {

// One value per frame of a filter graph over `file` run by ffprobe: (time, value) pairs.
std::vector<std::pair<double, double>> frame_values(const std::string& graph,
                                                    const std::string& tag,
                                                    const std::string& log_path) {
  std::string out_path = log_path + ".csv";
  Process ffprobe({"ffprobe", "-v", "error", "-f", "lavfi", "-i", graph, "-show_entries",
                   "frame=best_effort_timestamp_time:frame_tags=" + tag, "-of", "csv=p=0"},
                  out_path, log_path);
  ffprobe.wait(std::chrono::seconds(60));
  std::vector<std::pair<double, double>> values;
  std::istringstream lines(read_file(out_path));
  for (std::string line; std::getline(lines, line);) {
    auto comma = line.find(',');
    if (comma == std::string::npos) continue;
    std::string value = line.substr(comma + 1);
    double number = value.find("inf") != std::string::npos ? -200 : std::atof(value.c_str());
    values.emplace_back(std::atof(line.substr(0, comma).c_str()), number);
  }
  return values;
}

}  // namespace

SyncPulses read_sync_pulses(const std::string& file, const std::string& log_path) {
  constexpr double kBeepSeconds = 0.04;
  SyncPulses pulses;
  auto lumas = frame_values("movie='" + file + "',signalstats", "lavfi.signalstats.YAVG",
                            log_path + ".video");
  bool was_white = false;
  for (const auto& [time, luma] : lumas) {
    bool is_white = luma > 128;
    if (is_white && !was_white) pulses.flashes.push_back(time);
    was_white = is_white;
  }
  // 64-sample frames (under 1.5 ms): a beep's end is found to within one of them.
  auto levels =
      frame_values("amovie='" + file + "',asetnsamples=n=64:p=0,astats=metadata=1:reset=1",
                   "lavfi.astats.Overall.RMS_level", log_path + ".audio");
  // Only whole beeps count: one whose start was cut (audio dropped before a keyframe) or whose
  // end was (an encoder killed) would date wrong.
  std::optional<double> began;
  for (size_t i = 1; i < levels.size(); ++i) {
    bool was_loud = levels[i - 1].second > -30;
    bool is_loud = levels[i].second > -30;
    bool is_silent = levels[i].second < -40;
    if (!was_loud && is_loud) began = levels[i].first;
    if (was_loud && is_silent && began) {
      double length = levels[i].first - *began;
      if (std::fabs(length - kBeepSeconds) < 0.01) pulses.beeps.push_back(*began);
      began.reset();
    }
    if (!was_loud && !is_loud && !is_silent) began.reset();
  }
  if (lumas.empty() || levels.empty()) {
    pulses.error = "no frames decoded from " + file + ": " + read_file(log_path + ".video") +
                   read_file(log_path + ".audio");
  }
  return pulses;
}

std::vector<double> av_offsets(const SyncPulses& pulses, double expected, double window) {
  std::vector<double> offsets;
  for (double flash : pulses.flashes) {
    double due = flash + expected;
    auto nearest = std::min_element(
        pulses.beeps.begin(), pulses.beeps.end(),
        [&](double a, double b) { return std::fabs(a - due) < std::fabs(b - due); });
    if (nearest != pulses.beeps.end() && std::fabs(*nearest - due) < window) {
      offsets.push_back(*nearest - flash);
    }
  }
  return offsets;
}

}  // namespace streamrelay::test_support
