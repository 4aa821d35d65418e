// Density: N live relays of one source between streams of one nginx-rtmp ingest, run as N
// `ffmpeg -c copy` processes, as nginx-rtmp's own push relay and as N tasks in one streamrelay
// process, side by side; then at ~3 Mbps.
// Usage: density_bench [N ...] (default 10 100 1000); DENSITY_WINDOW_S (default 30),
// DENSITY_HIGH_RELAYS (relays of the ~3 Mbps source, default 100), DENSITY_FFMPEG_MAX,
// DENSITY_WAYS (which ways run, e.g. "streamrelay" to find how many relays a machine carries).
#include <signal.h>
#include <cctype>

#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "proc_stats.h"
#include "sources.h"
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
  double source_bps = 0;  // the source's rate at the ingest
  double cpu_seconds = 0;
  double kernel_share = 0;  // of cpu_seconds, spent in the kernel (system time)
  double window_s = 0;

  // CPU seconds per gigabit relayed (the source's rate times the relays, over the window).
  double cpu_per_gigabit() const {
    double gigabits = source_bps * relays * window_s / 1e9;
    return gigabits > 0 ? cpu_seconds / gigabits : 0;
  }
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
void read_ingest_view(Measure& m, NginxRtmp& nginx, const std::string& prefix,
                      const std::string& source) {
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
    if (name == source) source_rate = rate;
    bool is_destination = name.size() > prefix.size() && name.rfind(prefix, 0) == 0 &&
                          std::isdigit(static_cast<unsigned char>(name[prefix.size()]));
    size_t publishing = xml.find("<publishing/>", at);
    if (is_destination && publishing != std::string::npos && publishing < end) {
      ++m.publishing;
      rates += rate;
    }
  }
  m.rate_share = m.publishing > 0 && source_rate > 0 ? rates / m.publishing / source_rate : 0;
  m.source_bps = source_rate;
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
  m.cpu_seconds = after.cpu_seconds - before.cpu_seconds;
  m.kernel_share =
      m.cpu_seconds > 0 ? (after.system_seconds - before.system_seconds) / m.cpu_seconds : 0;
  m.window_s = window;
  m.cpu_per_relay_minute = m.cpu_seconds / (m.relays * minutes);
  m.private_mb_per_relay = (after.private_kb - baseline.private_kb) / 1024.0 / m.relays;
  m.pss_mb_per_relay = (after.pss_kb - baseline.pss_kb) / 1024.0 / m.relays;
  m.threads = after.threads;
  m.nginx_cpu_percent = 100.0 * (nginx_after.cpu_seconds - nginx_before.cpu_seconds) / window;
}

// After the relays' warm-up: CPU and memory over the window, then what the ingest holds of the
// destinations named `prefix`N and whether a sample of them plays.
void measure_after_warm_up(Measure& m, const std::vector<pid_t>& pids, const ProcStats& baseline,
                           NginxRtmp& ingest, const std::string& prefix, const std::string& source,
                           const std::string& folder) {
  sleep_for(std::chrono::seconds(10 + m.relays / 50));
  measure(m, pids, baseline, ingest);
  read_ingest_view(m, ingest, prefix, source);
  m.playing = count_playing(ingest, prefix, m.relays, m.sampled, folder);
}

Measure run_ffmpeg(NginxRtmp& nginx, const std::string& source, int relays,
                   const std::string& folder) {
  Measure m{"ffmpeg -c copy", relays};
  std::vector<std::unique_ptr<Process>> processes;
  std::vector<pid_t> pids;
  for (int i = 0; i < relays; ++i) {
    processes.push_back(std::make_unique<Process>(
        std::vector<std::string>{"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i",
                                 nginx.url(source), "-c", "copy", "-f", "flv",
                                 nginx.url("ff" + std::to_string(i))},
        folder + "/ffmpeg.log"));
    pids.push_back(processes.back()->pid());
  }
  measure_after_warm_up(m, pids, ProcStats{}, nginx, "ff", source, folder);
  m.started = relays;
  for (auto& process : processes) process->signal(SIGKILL);
  processes.clear();
  return m;
}

std::unique_ptr<RelayServer> start_server(const std::string& folder) {
  auto server = std::make_unique<RelayServer>(
      folder, std::vector<std::string>{"--rate-limit-rps", "0", "--project-task-quota", "0",
                                       "--log-level", "warn"});
  sleep_for(1s);
  return server;
}

// nginx-rtmp's own relay: the streams are published into one nginx-rtmp worker (by a
// streamrelay process, whose cost is not counted) and pushed on by it to the ingest. Its
// `push` forwards only published streams, not pulled ones, so this is the way it relays.
Measure run_nginx_relay(NginxRtmp& ingest, const std::string& source, int relays,
                        const std::string& folder) {
  Measure m{"nginx-rtmp push", relays};
  std::string base = folder + "/nginx-push-" + source + "-" + std::to_string(relays);
  NginxRtmp relay_node(base, "    application relay { live on; push rtmp://127.0.0.1:" +
                                 std::to_string(ingest.rtmp_port()) + "/live; }\n");
  sleep_for(1s);
  pid_t worker = nginx_pid(relay_node);
  ProcStats idle = read_proc_stats(worker);
  auto feeder = start_server(base + "-feeder");
  for (int i = 0; i < relays; ++i) {
    feeder->create_task(
        live_task(ingest.url(source), relay_node.url("ng" + std::to_string(i), "relay")));
  }
  measure_after_warm_up(m, {worker}, idle, ingest, "ng", source, folder);
  m.started = relays;
  return m;
}

Measure run_streamrelay(NginxRtmp& nginx, const std::string& source, int relays,
                        const std::string& folder) {
  Measure m{"streamrelay", relays};
  auto server = start_server(folder + "/relay-" + source + "-" + std::to_string(relays));
  ProcStats idle = read_proc_stats(server->pid());
  for (int i = 0; i < relays; ++i) {
    server->create_task(live_task(nginx.url(source), nginx.url("sr" + std::to_string(i))));
  }
  measure_after_warm_up(m, {server->pid()}, idle, nginx, "sr", source, folder);
  auto page = server->call("GET", "/v1/p1/pull/stream/task?limit=100").json();
  m.started = 0;
  for (const auto& info : page["task_infos"]) m.started += info["status"] == "running" ? 1 : 0;
  return m;
}

// Whether DENSITY_WAYS (a comma-separated list of ffmpeg, nginx, streamrelay; all when unset)
// names `way`.
bool is_wanted(const std::string& way) {
  const char* ways = std::getenv("DENSITY_WAYS");
  return !ways || ("," + std::string(ways) + ",").find("," + way + ",") != std::string::npos;
}

// One way after another at each count, so they share the machine and the source alike.
std::vector<Measure> run_all(NginxRtmp& nginx, const std::string& source, int relays,
                             int ffmpeg_max, const std::string& folder) {
  std::vector<Measure> ways;
  if (relays <= ffmpeg_max && is_wanted("ffmpeg")) {
    ways.push_back(run_ffmpeg(nginx, source, relays, folder));
  } else {
    ways.push_back(Measure{"ffmpeg -c copy", relays});
  }
  ways.push_back(is_wanted("nginx") ? run_nginx_relay(nginx, source, relays, folder)
                                    : Measure{"nginx-rtmp push", relays});
  ways.push_back(is_wanted("streamrelay") ? run_streamrelay(nginx, source, relays, folder)
                                          : Measure{"streamrelay", relays});
  std::fprintf(stderr, "done: %d relays of %s\n", relays, source.c_str());
  return ways;
}

void add_rows(Table& table, const std::vector<Measure>& ways, int ffmpeg_max) {
  for (const Measure& m : ways) {
    if (m.window_s == 0) {
      bool is_beyond = m.way == "ffmpeg -c copy" && m.relays > ffmpeg_max;
      table.add({m.way, std::to_string(m.relays),
                 is_beyond ? "not run: beyond this machine" : "not run (DENSITY_WAYS)", "", "", "",
                 "", "", "", "", "", ""});
      continue;
    }
    table.add({m.way, std::to_string(m.relays), fixed(m.cpu_per_relay_minute, 4),
               fixed(m.cpu_per_gigabit(), 2), fixed(m.kernel_share * 100, 0),
               fixed(m.private_mb_per_relay, 3), fixed(m.pss_mb_per_relay, 3),
               std::to_string(m.threads),
               m.way == "streamrelay"
                   ? std::to_string(m.started) + (m.relays > 100 ? " of first 100" : "")
                   : "-",
               std::to_string(m.publishing) + " (" + fixed(m.rate_share * 100, 0) + "%)",
               std::to_string(m.playing) + "/" + std::to_string(m.sampled),
               fixed(m.nginx_cpu_percent, 1)});
  }
}

bool start_source(NginxRtmp& nginx, LivePublisher& publisher, const std::string& name) {
  publisher.start();
  return eventually([&] { return nginx.is_publishing(name); }, 20s);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> counts;
  for (int i = 1; i < argc; ++i) counts.push_back(std::atoi(argv[i]));
  if (counts.empty()) counts = {10, 100, 1000};
  // The ~3 Mbps source is relayed this many times (0: not at all).
  const char* high_text = std::getenv("DENSITY_HIGH_RELAYS");
  int high_relays = high_text ? std::atoi(high_text) : 100;
  TempDir dir;
  NginxRtmp nginx(dir.file("nginx"));
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"), low_rate_source());
  if (!start_source(nginx, publisher, "src")) {
    std::fprintf(stderr, "the publisher did not start\n");
    return 1;
  }
  std::printf(
      "density: live relays of one H.264/AAC source on an nginx-rtmp ingest (1 worker) on "
      "loopback, %d s windows\n\n",
      window_seconds());
  Table table({"way", "relays", "cpu s/relay-min", "cpu s/Gbit", "kernel %", "private MB/relay",
               "PSS MB/relay", "threads", "running", "at ingest (rate)", "playing (sample)",
               "ingest cpu %"});
  // Above this many, N ffmpeg processes would need more than this machine has (each costs about
  // a fifth of a second of CPU per minute and 13 MB): ffmpeg is not run.
  const char* ffmpeg_max_text = std::getenv("DENSITY_FFMPEG_MAX");
  int ffmpeg_max = ffmpeg_max_text ? std::atoi(ffmpeg_max_text) : 500;
  std::vector<std::vector<Measure>> runs;
  for (int relays : counts) {
    runs.push_back(run_all(nginx, "src", relays, ffmpeg_max, dir.path().string()));
    add_rows(table, runs.back(), ffmpeg_max);
  }
  publisher.stop();
  if (high_relays > 0) {
    PublisherOptions high;
    high.size = "1280x720";
    high.fps = 25;
    high.video_bitrate = "2800k";
    LivePublisher high_publisher(nginx.url("src3m"), dir.file("publisher-3m.log"), high);
    if (start_source(nginx, high_publisher, "src3m")) {
      runs.push_back(run_all(nginx, "src3m", high_relays, ffmpeg_max, dir.path().string()));
      add_rows(table, runs.back(), ffmpeg_max);
    } else {
      std::fprintf(stderr, "the ~3 Mbps publisher did not start\n");
    }
  }
  table.print();
  std::printf("\nsource rates at the ingest: ");
  for (const auto& ways : runs) {
    std::printf("%d relays %.0f kbps; ", ways.back().relays, ways.back().source_bps / 1000);
  }
  std::printf(
      "\nratios, streamrelay / nginx-rtmp (targets: cpu <= 0.33, PSS <= 1) and "
      "ffmpeg / streamrelay:");
  for (const auto& ways : runs) {
    const Measure& ffmpeg = ways[0];
    const Measure& nginx_way = ways[1];
    const Measure& ours = ways[2];
    auto ratio = [](double a, double b) { return b > 0 ? a / b : 0; };
    std::printf("  N=%d%s cpu %.2f cpu/Gbit %.2f PSS %.2f", ours.relays,
                ours.source_bps > 1e6 ? " (3 Mbps)" : "",
                ratio(ours.cpu_per_relay_minute, nginx_way.cpu_per_relay_minute),
                ratio(ours.cpu_per_gigabit(), nginx_way.cpu_per_gigabit()),
                ratio(ours.pss_mb_per_relay, nginx_way.pss_mb_per_relay));
    if (ffmpeg.cpu_per_relay_minute > 0) {
      std::printf(" | ffmpeg cpu %.1fx PSS %.1fx",
                  ratio(ffmpeg.cpu_per_relay_minute, ours.cpu_per_relay_minute),
                  ratio(ffmpeg.pss_mb_per_relay, ours.pss_mb_per_relay));
    }
    std::printf(";");
  }
  std::printf("\n");
  return 0;
}
