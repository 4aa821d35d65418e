// Density: N live relays of one low-bitrate source between two streams of one nginx-rtmp, run
// as N `ffmpeg -c copy` processes and as N tasks in one streamrelay process, side by side.
// Usage: density_bench [N ...] (default 1 10 100 500 1000); DENSITY_WINDOW_S (default 30).
#include <signal.h>
#include <cctype>

#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "proc_stats.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace streamrelay::bench;
using namespace std::chrono_literals;

namespace {

struct Measure {
  std::string way;
  int relays = 0;
  int started = 0;
  double cpu_per_relay_minute = 0;
  double private_mb_per_relay = 0;
  double pss_mb_per_relay = 0;
  int threads = 0;
  int playing = 0;
  int sampled = 0;
  int publishing = 0;
  double rate_share = 0;
  double nginx_cpu_percent = 0;
};

int window_seconds() {
  const char* text = std::getenv("DENSITY_WINDOW_S");
  return text ? std::atoi(text) : 30;
}

pid_t nginx_pid(NginxRtmp& nginx) {
  std::string xml = nginx.stat();
  size_t at = xml.find("<pid>");
  return at == std::string::npos ? 0 : std::atoi(xml.c_str() + at + 5);
}

// Probes up to ten destinations at once; how many play (video, monotonic DTS).
int count_playing(NginxRtmp& nginx, const std::string& prefix, int relays, int& sampled,
                  const std::string& folder) {
  std::vector<std::future<bool>> reads;
  int step = std::max(1, relays / 10);
  for (int i = 0; i < relays && reads.size() < 10; i += step) {
    reads.push_back(std::async(std::launch::async, [&, i] {
      // On a machine this full the probes themselves start slowly: they get longer to read.
      ProbeReport report = probe(nginx.url(prefix + std::to_string(i)), relays >= 500 ? 8 : 2,
                                 folder + "/probe-" + prefix + std::to_string(i) + ".log");
      return report.is_ok && report.has_stream("video") && report.non_monotonic_dts("video") == 0;
    }));
  }
  sampled = static_cast<int>(reads.size());
  int playing = 0;
  for (auto& read : reads) playing += read.get() ? 1 : 0;
  return playing;
}

// Every destination as the ingest sees it (nginx-rtmp's stat page), where the ffprobe sample
// is ten: how many have a publisher, and their mean input rate as a share of the source's.
void read_ingest_view(Measure& m, NginxRtmp& nginx, const std::string& prefix) {
  std::string xml = nginx.stat();
  auto field = [&](size_t from, size_t to, const std::string& tag) -> std::string {
    size_t at = xml.find("<" + tag + ">", from);
    if (at == std::string::npos || at > to) return "";
    at += tag.size() + 2;
    return xml.substr(at, xml.find("</" + tag + ">", at) - at);
  };
  double source_rate = 0;
  double rates = 0;
  m.publishing = 0;
  for (size_t at = xml.find("<stream>"); at != std::string::npos;
       at = xml.find("<stream>", at + 1)) {
    size_t end = xml.find("</stream>", at);
    std::string name = field(at, end, "name");
    double rate = std::atof(field(at, end, "bw_in").c_str());
    if (name == "src") source_rate = rate;
    bool is_destination = name.size() > prefix.size() && name.rfind(prefix, 0) == 0 &&
                          std::isdigit(static_cast<unsigned char>(name[prefix.size()]));
    size_t publishing = xml.find("<publishing/>", at);
    if (is_destination && publishing != std::string::npos && publishing < end) {
      ++m.publishing;
      rates += rate;
    }
  }
  m.rate_share = m.publishing > 0 && source_rate > 0 ? rates / m.publishing / source_rate : 0;
}

// Measures CPU, memory and threads of `pids` over the window; `baseline` is subtracted.
void measure(Measure& m, const std::vector<pid_t>& pids, const ProcStats& baseline,
             NginxRtmp& nginx) {
  pid_t server = nginx_pid(nginx);
  ProcStats nginx_before = read_proc_stats(server);
  ProcStats before = sum_proc_stats(pids);
  int window = window_seconds();
  sleep_for(std::chrono::seconds(window));
  ProcStats after = sum_proc_stats(pids);
  ProcStats nginx_after = read_proc_stats(server);
  double minutes = window / 60.0;
  m.cpu_per_relay_minute = (after.cpu_seconds - before.cpu_seconds) / (m.relays * minutes);
  m.private_mb_per_relay = (after.private_kb - baseline.private_kb) / 1024.0 / m.relays;
  m.pss_mb_per_relay = (after.pss_kb - baseline.pss_kb) / 1024.0 / m.relays;
  m.threads = after.threads;
  m.nginx_cpu_percent = 100.0 * (nginx_after.cpu_seconds - nginx_before.cpu_seconds) / window;
}

Measure run_ffmpeg(NginxRtmp& nginx, int relays, const std::string& folder) {
  Measure m{"ffmpeg -c copy", relays};
  std::vector<std::unique_ptr<Process>> processes;
  std::vector<pid_t> pids;
  for (int i = 0; i < relays; ++i) {
    processes.push_back(std::make_unique<Process>(
        std::vector<std::string>{"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i",
                                 nginx.url("src"), "-c", "copy", "-f", "flv",
                                 nginx.url("ff" + std::to_string(i))},
        folder + "/ffmpeg.log"));
    pids.push_back(processes.back()->pid());
  }
  sleep_for(std::chrono::seconds(10 + relays / 50));
  measure(m, pids, ProcStats{}, nginx);
  m.started = relays;
  read_ingest_view(m, nginx, "ff");
  m.playing = count_playing(nginx, "ff", relays, m.sampled, folder);
  for (auto& process : processes) process->signal(SIGKILL);
  processes.clear();
  return m;
}

Measure run_streamrelay(NginxRtmp& nginx, int relays, const std::string& folder) {
  Measure m{"streamrelay", relays};
  RelayServer server(folder + "/relay-" + std::to_string(relays),
                     {"--rate-limit-rps", "0", "--project-task-quota", "0", "--log-level", "warn"});
  sleep_for(1s);
  ProcStats idle = read_proc_stats(server.pid());
  for (int i = 0; i < relays; ++i) {
    server.create_task(live_task(nginx.url("src"), nginx.url("sr" + std::to_string(i))));
  }
  sleep_for(std::chrono::seconds(10 + relays / 50));
  measure(m, {server.pid()}, idle, nginx);
  auto page = server.call("GET", "/v1/p1/pull/stream/task?limit=100").json();
  m.started = 0;
  for (const auto& info : page["task_infos"]) m.started += info["status"] == "running" ? 1 : 0;
  read_ingest_view(m, nginx, "sr");
  m.playing = count_playing(nginx, "sr", relays, m.sampled, folder);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> counts;
  for (int i = 1; i < argc; ++i) counts.push_back(std::atoi(argv[i]));
  if (counts.empty()) counts = {1, 10, 100, 500, 1000};
  TempDir dir;
  NginxRtmp nginx(dir.file("nginx"));
  PublisherOptions low;
  low.size = "320x240";
  low.fps = 25;
  low.video_bitrate = "150k";
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"), low);
  publisher.start();
  if (!eventually([&] { return nginx.is_publishing("src"); }, 20s)) {
    std::fprintf(stderr, "the publisher did not start\n");
    return 1;
  }
  std::printf(
      "density: one ~220 kbps H.264/AAC source, nginx-rtmp (1 worker) on loopback, "
      "%d s windows\n\n",
      window_seconds());
  Table table({"way", "relays", "cpu s/relay-min", "private MB/relay", "PSS MB/relay", "threads",
               "running", "at ingest (rate)", "playing (sample)", "nginx cpu %"});
  std::vector<std::pair<Measure, Measure>> pairs;
  // Above this many, N ffmpeg processes would need more than this machine has (each costs about
  // a fifth of a second of CPU per minute and 13 MB): only streamrelay is run.
  const char* ffmpeg_max_text = std::getenv("DENSITY_FFMPEG_MAX");
  int ffmpeg_max = ffmpeg_max_text ? std::atoi(ffmpeg_max_text) : 500;
  for (int relays : counts) {
    Measure ffmpeg{"ffmpeg -c copy", relays};
    if (relays <= ffmpeg_max) ffmpeg = run_ffmpeg(nginx, relays, dir.path().string());
    Measure ours = run_streamrelay(nginx, relays, dir.path().string());
    for (const Measure& m : {ffmpeg, ours}) {
      if (m.way != "streamrelay" && relays > ffmpeg_max) {
        table.add({m.way, std::to_string(relays), "not run: beyond this machine", "", "", "", "",
                   "", "", ""});
        continue;
      }
      table.add({m.way, std::to_string(m.relays), fixed(m.cpu_per_relay_minute, 3),
                 fixed(m.private_mb_per_relay, 2), fixed(m.pss_mb_per_relay, 2),
                 std::to_string(m.threads),
                 m.way == "streamrelay"
                     ? std::to_string(m.started) + (m.relays > 100 ? " of first 100" : "")
                     : "-",
                 std::to_string(m.publishing) + " (" + fixed(m.rate_share * 100, 0) + "%)",
                 std::to_string(m.playing) + "/" + std::to_string(m.sampled),
                 fixed(m.nginx_cpu_percent, 1)});
    }
    pairs.push_back({ffmpeg, ours});
    std::fprintf(stderr, "done: %d relays\n", relays);
  }
  table.print();
  std::printf("\nratios (ffmpeg / streamrelay):");
  for (const auto& [ffmpeg, ours] : pairs) {
    if (ffmpeg.cpu_per_relay_minute == 0) continue;
    std::printf(
        "  N=%d memory %.1fx cpu %.1fx;", ffmpeg.relays,
        ours.private_mb_per_relay > 0 ? ffmpeg.private_mb_per_relay / ours.private_mb_per_relay : 0,
        ours.cpu_per_relay_minute > 0 ? ffmpeg.cpu_per_relay_minute / ours.cpu_per_relay_minute
                                      : 0);
  }
  std::printf("\n");
  return 0;
}
