// API: list throughput and p99 latency with wrk (the first page, a page near the end, a page of
// one region deep in it), and create / modify / delete with keep-alive clients, over N stored
// tasks in one project (half of them in a second region), on SQLite and on PostgreSQL.
// Usage: api_bench [stored tasks] (default 100000); API_BENCH_ENGINES=sqlite,postgres (default
// both).
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "proc_stats.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "support/http_client.h"
#include "support/postgres_server.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"
#include "task/uuid.h"

using namespace streamrelay;
using namespace streamrelay::test_support;
using namespace streamrelay::bench;
using nlohmann::json;

namespace {

constexpr int kClientThreads = 4;
constexpr double kSeconds = 10;

struct Result {
  std::string operation;
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  long count = 0;
  long failed = 0;
};

// The tasks a bench stores: waiting a day (stored, not relayed), every other one in "other".
std::vector<task::TaskSpec> bench_tasks(int count) {
  int64_t now = std::time(nullptr);
  std::vector<task::TaskSpec> specs;
  for (int i = 0; i < count; ++i) {
    task::TaskSpec spec;
    spec.task_id = task::new_uuid();
    spec.project_id = "bench";
    spec.region = i % 2 ? "other" : "local";
    spec.source_urls = {"rtmp://source.example.com/live/s" + std::to_string(i)};
    spec.destination_url = "rtmp://ingest.example.com/live/d" + std::to_string(i);
    spec.start_time = now + 86400;
    spec.end_time = spec.start_time + 3600;
    spec.create_time = now;
    specs.push_back(std::move(spec));
  }
  return specs;
}

// What a call returns when its thread has nothing left to do (no task left to modify or delete).
constexpr long kNothingLeft = -1;

// Runs `call` from several threads for kSeconds; `call(thread, i)` returns the HTTP status, or
// kNothingLeft, which ends its thread and is not counted.
template <typename Call>
Result drive(const std::string& operation, Call call) {
  std::mutex mutex;
  std::vector<double> latencies;
  long failed = 0;
  auto began = std::chrono::steady_clock::now();
  double busy_seconds = 0;  // until the last thread stopped
  double stop_at = std::chrono::duration<double>(began.time_since_epoch()).count() + kSeconds;
  std::vector<std::thread> threads;
  for (int t = 0; t < kClientThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client;
      std::vector<double> mine;
      long my_failed = 0;
      for (int i = 0;; ++i) {
        auto started = std::chrono::steady_clock::now();
        if (std::chrono::duration<double>(started.time_since_epoch()).count() > stop_at) break;
        long status = call(client, t, i);
        if (status == kNothingLeft) break;
        mine.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count());
        if (status != 200) ++my_failed;
      }
      std::lock_guard lock(mutex);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      failed += my_failed;
      busy_seconds =
          std::max(busy_seconds,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
    });
  }
  for (auto& thread : threads) thread.join();
  Result result{operation};
  result.count = static_cast<long>(latencies.size());
  result.failed = failed;
  result.per_second = busy_seconds > 0 ? static_cast<double>(latencies.size()) / busy_seconds : 0;
  result.p50_ms = percentile(latencies, 0.5);
  result.p99_ms = percentile(latencies, 0.99);
  return result;
}

Result run_wrk(const std::string& name, const std::string& url, const std::string& folder) {
  static int run = 0;
  std::string log = folder + "/wrk-" + std::to_string(++run) + ".txt";  // a log per run
  Process wrk({"wrk", "-t2", "-c32", "-d" + std::to_string(static_cast<int>(kSeconds)) + "s",
               "--latency", url},
              log);
  wrk.wait(std::chrono::seconds(static_cast<int>(kSeconds) + 30));
  std::string out = read_file(log);
  Result result{name};
  std::smatch match;
  if (std::regex_search(out, match, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    result.per_second = std::stod(match[1]);
  }
  auto to_ms = [](const std::string& value, const std::string& unit) {
    double number = std::stod(value);
    return unit == "us" ? number / 1000 : unit == "s" ? number * 1000 : number;
  };
  if (std::regex_search(out, match, std::regex(R"(50%\s+([0-9.]+)(us|ms|s))"))) {
    result.p50_ms = to_ms(match[1], match[2]);
  }
  if (std::regex_search(out, match, std::regex(R"(99%\s+([0-9.]+)(us|ms|s))"))) {
    result.p99_ms = to_ms(match[1], match[2]);
  }
  if (std::regex_search(out, match, std::regex(R"(([0-9]+) requests in)")))
    result.count = std::stol(match[1]);
  if (std::regex_search(out, match, std::regex(R"(Non-2xx or 3xx responses: ([0-9]+))"))) {
    result.failed = std::stol(match[1]);
  }
  return result;
}

// Waits until the node has read every stored task (its first look at a big store takes a while
// and is no steady state to measure); how long that took.
double wait_until_known(RelayServer& server, int stored) {
  auto started = std::chrono::steady_clock::now();
  HttpClient client;
  std::smatch match;
  const std::regex known(R"(\nstreamrelay_tasks_known ([0-9.e+]+))");
  while (std::chrono::steady_clock::now() - started < std::chrono::minutes(10)) {
    std::string page = client.request("GET", server.base_url() + "/metrics").body;
    if (std::regex_search(page, match, known) && std::stod(match[1]) >= stored) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the first look's tick ends
  return seconds;
}

// Every operation against one server whose store holds `stored` tasks.
std::vector<Result> run_operations(RelayServer& server, int stored, const std::string& folder) {
  std::fprintf(stderr, "the node read its %d tasks %.1f s after it answered\n", stored,
               wait_until_known(server, stored));
  std::string tasks = server.tasks_url("bench");
  run_wrk("warm-up, not counted", tasks + "?limit=10", folder);  // its first tick's aftermath
  std::vector<Result> results;
  results.push_back(run_wrk("list, offset 0 (wrk, 32 connections)", tasks + "?limit=10", folder));
  results.push_back(run_wrk("list, offset " + std::to_string(stored - 20) + " (wrk)",
                            tasks + "?limit=10&offset=" + std::to_string(stored - 20), folder));
  int region_offset = stored / 2 - stored / 10;
  results.push_back(
      run_wrk("list, region, offset " + std::to_string(region_offset) + " (wrk)",
              tasks + "?limit=10&region=other&offset=" + std::to_string(region_offset), folder));
  results.push_back(drive("list (4 clients)", [&](HttpClient& client, int, int) {
    return client.request("GET", tasks + "?limit=10").status;
  }));
  std::vector<std::vector<std::string>> created(kClientThreads);
  results.push_back(drive("create", [&](HttpClient& client, int t, int i) {
    json body =
        live_task("rtmp://source.example.com/live/a",
                  "rtmp://ingest.example.com/bench/" + std::to_string(t) + "-" + std::to_string(i));
    body["start_time"] = "2099-01-01T00:00:00Z";
    body["end_time"] = "2099-01-02T00:00:00Z";
    HttpReply reply = client.request("POST", tasks, body.dump());
    if (reply.status == 200) created[static_cast<size_t>(t)].push_back(reply.json()["task_id"]);
    return reply.status;
  }));
  results.push_back(drive("modify", [&](HttpClient& client, int t, int i) {
    auto& ids = created[static_cast<size_t>(t)];
    if (ids.empty()) return kNothingLeft;
    json body = {{"task_id", ids[static_cast<size_t>(i) % ids.size()]},
                 {"status", i % 2 ? "enable" : "pause"}};
    return client.request("PUT", tasks, body.dump()).status;
  }));
  results.push_back(drive("delete", [&](HttpClient& client, int t, int i) {
    auto& ids = created[static_cast<size_t>(t)];
    if (static_cast<size_t>(i) >= ids.size()) return kNothingLeft;
    return client.request("DELETE", tasks + "?task_id=" + ids[static_cast<size_t>(i)]).status;
  }));
  return results;
}

const std::vector<std::string> kServerArgs = {
    "--rate-limit-rps", "0",    "--project-task-quota", "0",
    "--log-level",      "warn", "--io-threads",         "2"};

double seconds_since(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

std::vector<Result> run_sqlite(int stored, const std::string& folder) {
  auto started = std::chrono::steady_clock::now();
  {
    std::filesystem::create_directories(folder + "/data");
    store::SqliteStore store(folder + "/data/streamrelay.db");
    store.bulk_create_tasks(bench_tasks(stored));
  }
  std::fprintf(stderr, "sqlite: stored %d tasks in %.1f s\n", stored, seconds_since(started));
  RelayServer server(folder, kServerArgs);
  return run_operations(server, stored, folder);
}

std::vector<Result> run_postgres(int stored, const std::string& folder) {
  PostgresServer postgres(folder + "/postgres");
  std::string database = postgres.create_database("bench");
  auto started = std::chrono::steady_clock::now();
  {
    store::PostgresStore store(database, "bench-loader");
    std::vector<task::TaskSpec> specs = bench_tasks(stored);
    store.bulk_create_tasks(specs);
  }
  postgres.query("VACUUM ANALYZE", "bench");
  std::fprintf(stderr, "postgres: stored %d tasks in %.1f s\n", stored, seconds_since(started));
  std::vector<std::string> args = kServerArgs;
  args.insert(args.end(), {"--database", database});
  RelayServer server(folder + "/relay", args);
  return run_operations(server, stored, folder);
}

bool is_wanted(const std::string& engine) {
  const char* engines = std::getenv("API_BENCH_ENGINES");
  return !engines ||
         ("," + std::string(engines) + ",").find("," + engine + ",") != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  int stored = argc > 1 ? std::atoi(argv[1]) : 100000;
  TempDir dir;
  std::vector<std::pair<std::string, std::vector<Result>>> engines;
  if (is_wanted("sqlite")) engines.emplace_back("SQLite", run_sqlite(stored, dir.file("sqlite")));
  if (is_wanted("postgres")) {
    engines.emplace_back("PostgreSQL", run_postgres(stored, dir.file("postgres")));
  }
  std::printf(
      "api: %d tasks stored in one project (half in a second region), 2 HTTP threads, clients "
      "on the same 2 cores, %.0f s each; SQLite in WAL mode with synchronous=FULL, PostgreSQL "
      "a local server (cluster mode)\n\n",
      stored, kSeconds);
  Table table({"store", "operation", "requests", "non-200", "per second", "p50 ms", "p99 ms"});
  for (const auto& [engine, results] : engines) {
    for (const Result& r : results) {
      table.add({engine, r.operation, std::to_string(r.count), std::to_string(r.failed),
                 fixed(r.per_second, 0), fixed(r.p50_ms, 2), fixed(r.p99_ms, 2)});
    }
  }
  table.print();
  std::printf("\nratios (measured / target; lists: 5000/s and p99 10 ms, others p99 10 ms):\n");
  for (const auto& [engine, results] : engines) {
    std::printf("  %s:", engine.c_str());
    for (size_t i = 0; i < results.size(); ++i) {
      const Result& r = results[i];
      if (i < 3)
        std::printf(" [%s] rate %.2f p99 %.2f;", r.operation.c_str(), r.per_second / 5000,
                    r.p99_ms / 10);
      if (i >= 4) std::printf(" [%s] p99 %.2f;", r.operation.c_str(), r.p99_ms / 10);
    }
    std::printf("\n");
  }
  return 0;
}
