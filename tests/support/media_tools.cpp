#include "support/media_tools.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace streamrelay::test_support {

LivePublisher::LivePublisher(std::string url, std::string log_path, PublisherOptions options)
    : url_(std::move(url)), log_path_(std::move(log_path)), options_(std::move(options)) {}

void LivePublisher::start() {
  std::vector<std::string> argv = {
      "ffmpeg",    "-hide_banner",
      "-loglevel", "warning",
      "-nostdin",  "-re",
      "-f",        "lavfi",
      "-i",        "testsrc2=size=" + options_.size + ":rate=" + std::to_string(options_.fps)};
  if (options_.has_audio) {
    argv.insert(argv.end(), {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"});
  }
  argv.insert(argv.end(),
              {"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt",
               "yuv420p", "-g", std::to_string(options_.gop), "-b:v", options_.video_bitrate});
  if (options_.has_audio) argv.insert(argv.end(), {"-c:a", "aac", "-b:a", "64k"});
  argv.insert(argv.end(), {"-f", options_.format, url_});
  process_ = Process(argv, log_path_);
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
  int bad = 0;
  double last = -1e18;
  for (const ProbedPacket& packet : packets) {
    if (packet.type != type) continue;
    if (packet.dts < last) ++bad;
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

ProbeReport probe(const std::string& url, int seconds, const std::string& log_path) {
  std::string out_path = log_path + ".json";
  std::filesystem::remove(out_path);
  // ffprobe writes its JSON to stdout; the Process helper sends stdout to a file.
  Process ffprobe({"ffprobe", "-v", "error", "-rw_timeout", "5000000", "-show_entries",
                   "packet=codec_type,dts_time,pts_time,flags:stream=codec_type,codec_name,"
                   "avg_frame_rate,width,height",
                   "-read_intervals", "%+" + std::to_string(seconds), "-of", "json", url},
                  out_path, log_path);
  ProbeReport report;
  if (ffprobe.wait(std::chrono::seconds(seconds + 20)) != 0) {
    report.error = "ffprobe failed or timed out";
  }
  auto doc = nlohmann::json::parse(read_file(out_path), nullptr, false);
  if (doc.is_discarded()) {
    report.error += " (no JSON)";
    return report;
  }
  for (const auto& stream : doc.value("streams", nlohmann::json::array())) {
    ProbedStream info;
    info.type = stream.value("codec_type", "");
    info.codec = stream.value("codec_name", "");
    info.width = stream.value("width", 0);
    info.height = stream.value("height", 0);
    std::string rate = stream.value("avg_frame_rate", "0/0");
    size_t slash = rate.find('/');
    double num = std::atof(rate.substr(0, slash).c_str());
    double den = slash == std::string::npos ? 1 : std::atof(rate.substr(slash + 1).c_str());
    info.frame_rate = den > 0 ? num / den : 0;
    report.streams.push_back(info);
  }
  for (const auto& packet : doc.value("packets", nlohmann::json::array())) {
    ProbedPacket info;
    info.type = packet.value("codec_type", "");
    info.dts = std::atof(packet.value("dts_time", "0").c_str());
    info.pts = std::atof(packet.value("pts_time", "0").c_str());
    info.is_keyframe = packet.value("flags", "").find('K') != std::string::npos;
    report.packets.push_back(info);
  }
  report.is_ok = !report.packets.empty();
  if (!report.is_ok) report.error += " " + read_file(log_path);
  return report;
}

}  // namespace streamrelay::test_support
