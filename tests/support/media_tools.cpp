#include "support/media_tools.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>

#include "support/http_client.h"

namespace streamrelay::test_support {

LivePublisher::LivePublisher(std::string url, std::string log_path, PublisherOptions options)
    : url_(std::move(url)), log_path_(std::move(log_path)), options_(std::move(options)) {}

void LivePublisher::start() {
  std::string video = "testsrc2=size=" + options_.size + ":rate=" + std::to_string(options_.fps);
  if (options_.counts_frames) {
    video = "color=c=black:s=" + options_.size + ":r=" + std::to_string(options_.fps) +
            ",format=yuv420p,geq=lum='16+mod(N\\,200)':cb=128:cr=128";
  } else if (options_.sync_pulses) {
    video = "color=c=black:s=" + options_.size + ":r=" + std::to_string(options_.fps) +
            ",format=yuv420p,geq=lum='if(eq(mod(N\\," + std::to_string(options_.fps) + ")\\," +
            std::to_string(options_.fps / 2) + ")\\,235\\,16)':cb=128:cr=128";
  } else if (options_.mark_index >= 0) {
    video = "color=c=black:s=" + options_.size + ":r=" + std::to_string(options_.fps) +
            ",format=yuv420p,geq=lum='16+4*mod(T\\,50)':cb='" +
            std::to_string(64 + 32 * options_.mark_index) + "':cr=128";
  }
  std::vector<std::string> argv = {"ffmpeg", "-hide_banner", "-loglevel", "warning", "-nostdin"};
  if (options_.has_video && options_.video_delay_ms > 0) {
    argv.insert(argv.end(), {"-itsoffset", std::to_string(options_.video_delay_ms) + "ms"});
  }
  if (options_.has_video) argv.insert(argv.end(), {"-re", "-f", "lavfi", "-i", video});
  if (options_.has_audio) {
    std::string rate = std::to_string(options_.audio_sample_rate);
    std::string sine = "sine=frequency=440:sample_rate=" + rate;
    if (options_.sync_pulses) {
      // The beep starts with the white picture's frame time and lasts 40 ms.
      int64_t begin = int64_t{options_.audio_sample_rate} * (options_.fps / 2) / options_.fps;
      int64_t end = begin + options_.audio_sample_rate / 25;
      std::string at = "mod(n\\," + rate + ")";
      sine = "aevalsrc=exprs='if(gte(" + at + "\\," + std::to_string(begin) + ")*lt(" + at + "\\," +
             std::to_string(end) + ")\\,0.8*sin(2*PI*1000*t)\\,0)':s=" + rate;
    }
    if (!options_.has_video) argv.push_back("-re");
    argv.insert(argv.end(), {"-f", "lavfi", "-i", sine});
  }
  if (options_.has_video) {
    // zerolatency turns B-frames off; a stream that wants them gets the veryfast preset instead.
    std::vector<std::string> tuning = {"-preset", "ultrafast", "-tune", "zerolatency"};
    if (options_.b_frames > 0) {
      tuning = {"-preset", "veryfast", "-bf", std::to_string(options_.b_frames)};
    }
    if (options_.video_codec != "libx264" && options_.video_codec != "libx265") tuning.clear();
    if (options_.video_codec == "libsvtav1") tuning = {"-preset", "12"};  // real time, 2 cores
    argv.insert(argv.end(), {"-c:v", options_.video_codec});
    argv.insert(argv.end(), tuning.begin(), tuning.end());
    argv.insert(argv.end(), {"-pix_fmt", "yuv420p", "-g", std::to_string(options_.gop), "-b:v",
                             options_.video_bitrate});
    // Pictures dated later must not be made up for the time before the first one (a constant
    // frame rate output would repeat it from 0).
    if (options_.video_delay_ms > 0) argv.insert(argv.end(), {"-fps_mode", "passthrough"});
  }
  if (options_.has_audio) {
    argv.insert(argv.end(),
                {"-c:a", "aac", "-b:a", "64k", "-ac", std::to_string(options_.audio_channels)});
  }
  argv.insert(argv.end(), options_.output_args.begin(), options_.output_args.end());
  argv.insert(argv.end(), {"-f", options_.format, url_});
  process_ = Process(argv, log_path_);
}

void GstPublisher::start() {
  std::vector<std::string> argv = {"gst-launch-1.0",
                                   "-q",
                                   "-e",
                                   "videotestsrc",
                                   "is-live=true",
                                   "pattern=ball",
                                   "!",
                                   "video/x-raw,width=320,height=240,framerate=25/1",
                                   "!",
                                   "x264enc",
                                   "tune=zerolatency",
                                   "key-int-max=25",
                                   "bitrate=300",
                                   "speed-preset=ultrafast",
                                   "!",
                                   "h264parse",
                                   "!",
                                   "queue",
                                   "!",
                                   "mux.",
                                   "audiotestsrc",
                                   "is-live=true",
                                   "wave=sine",
                                   "!",
                                   "audio/x-raw,rate=44100,channels=1",
                                   "!",
                                   "voaacenc",
                                   "bitrate=64000",
                                   "!",
                                   "aacparse",
                                   "!",
                                   "queue",
                                   "!",
                                   "mux.",
                                   "flvmux",
                                   "name=mux",
                                   "streamable=true",
                                   "!",
                                   "rtmp2sink",
                                   "location=" + url_};
  process_ = Process(argv, log_path_);
}

void GstPublisher::stop() {
  process_.stop(SIGINT, std::chrono::seconds(2));
}

ProbeReport read_with_rtmpdump(const std::string& url, int seconds, const std::string& folder) {
  std::filesystem::create_directories(folder);
  std::string file = folder + "/dump.flv";
  Process rtmpdump({"rtmpdump", "-q", "--live", "-r", url, "-o", file}, folder + "/rtmpdump.log");
  rtmpdump.wait(std::chrono::seconds(seconds));
  rtmpdump.stop(SIGINT, std::chrono::seconds(2));  // what it wrote so far is a readable FLV
  return probe(file, seconds * 2, folder + "/probe.log");
}

void LivePublisher::stop() {
  process_.stop(SIGKILL, std::chrono::seconds(2));
}
void LivePublisher::suspend() {
  process_.signal(SIGSTOP);
}
void LivePublisher::resume() {
  process_.signal(SIGCONT);
}

bool ProbeReport::has_stream(const std::string& type) const {
  return std::any_of(streams.begin(), streams.end(),
                     [&](const ProbedStream& stream) { return stream.type == type; });
}

int ProbeReport::count(const std::string& type) const {
  return static_cast<int>(std::count_if(packets.begin(), packets.end(),
                                        [&](const ProbedPacket& p) { return p.type == type; }));
}

int ProbeReport::non_monotonic_dts(const std::string& type) const {
  if (count(type) == 0) return -1;
  int bad = 0;
  double last = -1e18;
  for (const ProbedPacket& packet : packets) {
    if (packet.type != type) continue;
    if (packet.dts <= last) ++bad;
    last = packet.dts;
  }
  return bad;
}

double ProbeReport::dts_span(const std::string& type) const {
  double first = 0, last = 0;
  bool has_first = false;
  for (const ProbedPacket& packet : packets) {
    if (packet.type != type) continue;
    if (!has_first) first = packet.dts, has_first = true;
    last = packet.dts;
  }
  return last - first;
}

double ProbeReport::measured_rate(const std::string& type) const {
  double span = dts_span(type);
  return span > 0 ? (count(type) - 1) / span : 0;
}

double ProbeReport::largest_dts_gap(const std::string& type) const {
  if (count(type) < 2) return std::numeric_limits<double>::infinity();
  double largest = 0, last = 0;
  bool has_last = false;
  for (const ProbedPacket& packet : packets) {
    if (packet.type != type) continue;
    if (has_last) largest = std::max(largest, packet.dts - last);
    last = packet.dts;
    has_last = true;
  }
  return largest;
}

namespace {

// One line of ffprobe's compact output ("packet|codec_type=video|dts_time=0.04|flags=K_") as
// key/value pairs; line-based, so a reader cut off mid-stream still leaves whole records.
std::map<std::string, std::string> compact_fields(const std::string& line) {
  std::map<std::string, std::string> fields;
  size_t start = line.find('|');
  while (start != std::string::npos) {
    size_t end = line.find('|', start + 1);
    std::string pair = line.substr(start + 1, end == std::string::npos ? end : end - start - 1);
    size_t eq = pair.find('=');
    if (eq != std::string::npos) fields[pair.substr(0, eq)] = pair.substr(eq + 1);
    start = end;
  }
  return fields;
}

double rate_of(const std::string& rate) {
  size_t slash = rate.find('/');
  double num = std::atof(rate.substr(0, slash).c_str());
  double den = slash == std::string::npos ? 1 : std::atof(rate.substr(slash + 1).c_str());
  return den > 0 ? num / den : 0;
}

}  // namespace

testing::AssertionResult is_continuous(const ProbeReport& report, const std::string& type,
                                       int min_packets, double max_gap) {
  if (!report.is_ok) return testing::AssertionFailure() << report.error;
  int packets = report.count(type);
  if (packets < min_packets) {
    return testing::AssertionFailure()
           << type << ": " << packets << " packets read, at least " << min_packets << " expected";
  }
  double last = 0;
  bool has_last = false;
  for (const ProbedPacket& packet : report.packets) {
    if (packet.type != type) continue;
    if (has_last && packet.dts <= last) {
      return testing::AssertionFailure()
             << type << ": DTS " << packet.dts << " s does not follow " << last << " s";
    }
    if (has_last && packet.dts - last > max_gap) {
      return testing::AssertionFailure()
             << type << ": a gap of " << packet.dts - last << " s after " << last << " s (at most "
             << max_gap << " s)";
    }
    last = packet.dts;
    has_last = true;
  }
  return testing::AssertionSuccess();
}

ProbeReport probe(const std::string& url, int seconds, const std::string& log_path,
                  bool with_frames) {
  std::string out_path = log_path + ".txt";
  std::filesystem::remove(out_path);
  std::string entries =
      "packet=codec_type,dts_time,pts_time,flags:stream=codec_type,codec_name,avg_frame_rate,"
      "width,height,sample_rate,channels";
  if (with_frames) entries += ":frame=media_type,pkt_dts_time,width,height";
  // An RTMP reader does not notice a stream that ends: it is stopped a little after the
  // requested media duration, and whatever it wrote is used.
  Process ffprobe({"stdbuf", "-oL", "ffprobe", "-v", "error", "-show_entries", entries,
                   "-read_intervals", "%+" + std::to_string(seconds), "-of", "compact", url},
                  out_path, log_path);
  ProbeReport report;
  ffprobe.wait(std::chrono::seconds(seconds + 8));
  std::istringstream lines(read_file(out_path));
  std::string line;
  while (std::getline(lines, line)) {
    auto fields = compact_fields(line);
    if (line.rfind("packet|", 0) == 0) {
      ProbedPacket packet;
      packet.type = fields["codec_type"];
      packet.dts = std::atof(fields["dts_time"].c_str());
      packet.pts = std::atof(fields["pts_time"].c_str());
      packet.is_keyframe = fields["flags"].find('K') != std::string::npos;
      report.packets.push_back(packet);
    } else if (line.rfind("frame|", 0) == 0 && fields["media_type"] == "video") {
      report.video_frames.push_back({std::atof(fields["pkt_dts_time"].c_str()),
                                     std::atoi(fields["width"].c_str()),
                                     std::atoi(fields["height"].c_str())});
    } else if (line.rfind("stream|", 0) == 0) {
      ProbedStream stream;
      stream.type = fields["codec_type"];
      stream.codec = fields["codec_name"];
      stream.frame_rate = rate_of(fields["avg_frame_rate"]);
      stream.width = std::atoi(fields["width"].c_str());
      stream.height = std::atoi(fields["height"].c_str());
      stream.sample_rate = std::atoi(fields["sample_rate"].c_str());
      stream.channels = std::atoi(fields["channels"].c_str());
      report.streams.push_back(stream);
    }
  }
  report.is_ok = !report.packets.empty();
  if (!report.is_ok) report.error = "ffprobe read nothing: " + read_file(log_path);
  return report;
}

int hls_segments_listed(const std::string& url) {
  HttpReply reply = HttpClient().request("GET", url);
  if (reply.status != 200) return 0;
  int count = 0;
  for (size_t at = reply.body.find("#EXTINF"); at != std::string::npos;
       at = reply.body.find("#EXTINF", at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace streamrelay::test_support
