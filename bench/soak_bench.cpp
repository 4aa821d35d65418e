// Soak: N live relays of one source in one streamrelay process, with CHURN_PER_MIN tasks deleted
// and as many created every minute (in batches every 10 s), for MINUTES. Every 30 s: the
// process's RSS, PSS, open descriptors and threads, the database's size on disk and the callback
// backlog; at the end the RSS slope after a 2-minute warm-up (least squares), and descriptors
// and threads at the end against the first sample after the warm-up. The reference is the same
// process without churn (SOAK_REFERENCE=1 runs it first, for the same MINUTES).
// Usage: soak_bench [N CHURN_PER_MIN MINUTES] (default 100 30 10); SOAK_RETENTION_H sets the
// event retention of the run (default 0.01 h, 36 s, so the database reaches its plateau early;
// empty: the service's default).
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "proc_stats.h"
#include "sources.h"
#include "support/callback_receiver.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace streamrelay::bench;
using namespace std::chrono_literals;

namespace {

struct Sample {
  double minute = 0;
  double rss_mb = 0;
  double pss_mb = 0;
  int fds = 0;
  int threads = 0;
  double database_mb = 0;
  long backlog = 0;
  int tasks = 0;
  long churned = 0;
};

double rss_mb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return 0;
}

int open_fds(pid_t pid) {
  std::error_code error;
  int count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++count;
  }
  return count;
}

double folder_mb(const std::string& folder) {
  std::error_code error;
  double bytes = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(folder, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_regular_file(error)) bytes += static_cast<double>(it->file_size(error));
  }
  return bytes / 1e6;
}

long metric(RelayServer& server, const std::string& name) {
  std::string text = server.call("GET", "/metrics").body;
  size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::atol(text.c_str() + at + name.size() + 2);
}

// Least-squares slope of y over x.
double slope(const std::vector<double>& x, const std::vector<double>& y) {
  double n = static_cast<double>(x.size());
  if (n < 2) return 0;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sx += x[i], sy += y[i], sxx += x[i] * x[i], sxy += x[i] * y[i];
  }
  double d = n * sxx - sx * sx;
  return d == 0 ? 0 : (n * sxy - sx * sy) / d;
}

struct Run {
  std::string name;
  std::vector<Sample> samples;
  double rss_slope = 0;            // MB per minute after the warm-up
  size_t first_after_warm_up = 0;  // the index of the first sample after the warm-up
};

Run soak(const std::string& name, NginxRtmp& nginx, CallbackReceiver& receiver, int relays,
         int churn_per_minute, int minutes, const std::string& retention,
         const std::string& folder) {
  Run run;
  run.name = name;
  std::vector<std::string> args = {"--rate-limit-rps", "0",   "--project-task-quota", "0",
                                   "--log-level",      "warn"};
  if (!retention.empty()) args.insert(args.end(), {"--event-retention-h", retention});
  RelayServer server(folder, args);
  std::deque<std::string> tasks;
  long next_name = 0;
  auto create = [&] {
    nlohmann::json body =
        live_task(nginx.url("src"), nginx.url("soak" + std::to_string(next_name++)));
    body["callback_url"] = receiver.url();
    tasks.push_back(server.create_task(body));
  };
  for (int i = 0; i < relays; ++i) create();
  auto start = std::chrono::steady_clock::now();
  auto end = start + std::chrono::minutes(minutes);
  auto next_sample = start;
  auto next_churn = start + 10s;
  int batch = churn_per_minute / 6;
  long churned = 0;
  while (std::chrono::steady_clock::now() < end) {
    auto now = std::chrono::steady_clock::now();
    if (now >= next_sample) {
      Sample s;
      s.minute = std::chrono::duration<double>(now - start).count() / 60;
      s.rss_mb = rss_mb(server.pid());
      s.pss_mb = read_proc_stats(server.pid()).pss_kb / 1024;
      s.fds = open_fds(server.pid());
      s.threads = read_proc_stats(server.pid()).threads;
      s.database_mb = folder_mb(folder + "/data");
      s.backlog = metric(server, "streamrelay_callback_backlog");
      s.tasks = static_cast<int>(tasks.size());
      s.churned = churned;
      run.samples.push_back(s);
      std::fprintf(stderr, "%s %.1f min: rss %.1f MB, fds %d, threads %d, db %.2f MB\n",
                   name.c_str(), s.minute, s.rss_mb, s.fds, s.threads, s.database_mb);
      next_sample += 30s;
    }
    if (churn_per_minute > 0 && now >= next_churn) {
      for (int i = 0; i < batch && !tasks.empty(); ++i) {
        server.call("DELETE", "/v1/p1/pull/stream/task?task_id=" + tasks.front());
        tasks.pop_front();
        create();
        ++churned;
      }
      next_churn += 10s;
    }
    sleep_for(200ms);
  }
  std::vector<double> x, y;
  run.first_after_warm_up = run.samples.size() - 1;
  for (size_t i = run.samples.size(); i-- > 0 && run.samples[i].minute >= 2;) {
    run.first_after_warm_up = i;
    x.push_back(run.samples[i].minute);
    y.push_back(run.samples[i].rss_mb);
  }
  run.rss_slope = slope(x, y);
  return run;
}

void print(const Run& run) {
  std::printf("\n%s\n", run.name.c_str());
  Table table({"minute", "RSS MB", "PSS MB", "fds", "threads", "database MB", "callback backlog",
               "tasks", "churned"});
  for (const Sample& s : run.samples) {
    table.add({fixed(s.minute, 1), fixed(s.rss_mb, 1), fixed(s.pss_mb, 1), std::to_string(s.fds),
               std::to_string(s.threads), fixed(s.database_mb, 2), std::to_string(s.backlog),
               std::to_string(s.tasks), std::to_string(s.churned)});
  }
  table.print();
}

}  // namespace

int main(int argc, char** argv) {
  int relays = argc > 1 ? std::atoi(argv[1]) : 100;
  int churn = argc > 2 ? std::atoi(argv[2]) : 30;
  int minutes = argc > 3 ? std::atoi(argv[3]) : 10;
  const char* retention_text = std::getenv("SOAK_RETENTION_H");
  std::string retention = retention_text ? retention_text : "0.01";
  bool has_reference =
      std::getenv("SOAK_REFERENCE") && std::string(std::getenv("SOAK_REFERENCE")) == "1";
  TempDir dir;
  NginxRtmp nginx(dir.file("nginx"));
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"), low_rate_source());
  publisher.start();
  if (!eventually([&] { return nginx.is_publishing("src"); }, 20s)) {
    std::fprintf(stderr, "the publisher did not start\n");
    return 1;
  }
  CallbackReceiver receiver;
  std::vector<Run> runs;
  if (has_reference) {
    runs.push_back(soak("reference: the same relays without churn", nginx, receiver, relays, 0,
                        minutes, retention, dir.file("reference")));
  }
  runs.push_back(soak("churn: " + std::to_string(churn) + " tasks replaced a minute", nginx,
                      receiver, relays, churn, minutes, retention, dir.file("churn")));
  std::printf(
      "soak: %d live relays of one H.264/AAC source (nginx-rtmp on loopback), %d min, "
      "event retention %s h, samples every 30 s\n",
      relays, minutes, retention.c_str());
  for (const Run& run : runs) print(run);
  std::printf(
      "\nafter the 2-minute warm-up (target: RSS slope <= 0.1 MB/min; fds and threads "
      "back within 1%%):\n");
  for (const Run& run : runs) {
    const Sample& first = run.samples[run.first_after_warm_up];
    const Sample& last = run.samples.back();
    std::printf(
        "  %s: RSS slope %.3f MB/min; fds %d -> %d; threads %d -> %d; database %.2f -> "
        "%.2f MB\n",
        run.name.c_str(), run.rss_slope, first.fds, last.fds, first.threads, last.threads,
        first.database_mb, last.database_mb);
  }
  if (runs.size() == 2) {
    std::printf("  RSS at the end, churn / reference: %.2f\n",
                runs[1].samples.back().rss_mb / runs[0].samples.back().rss_mb);
  }
  return 0;
}
