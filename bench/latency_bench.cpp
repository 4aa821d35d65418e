// Latency: task start (API call to the first picture at the destination), failover (primary
// killed to the standby's first picture, beyond the stall threshold), and the delay the relay
// adds (the same picture read from the source and from the destination). Median and p95.
// Usage: latency_bench [runs] [start|failover|delay] (default 20 runs, every measure).
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <string>
#include <vector>

#include "frame_watch.h"
#include "proc_stats.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/process.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace streamrelay::bench;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr double kStallSeconds = 2.0;

PublisherOptions counting(const std::string& size) {
  PublisherOptions options;
  options.size = size;
  options.counts_frames = true;
  options.gop = 25;
  return options;
}

// Starts the relay from "src" to `stream` one of the two ways: as a task (its id is returned), or
// as the reference, one ffmpeg process (kept in `reference` until it goes out of scope).
std::string start_relay(RelayServer& server, NginxRtmp& nginx, const TempDir& dir,
                        const std::string& stream, bool is_reference, Process& reference) {
  if (!is_reference) return server.create_task(live_task(nginx.url("src"), nginx.url(stream)));
  reference = Process({"ffmpeg", "-nostdin", "-loglevel", "error", "-i", nginx.url("src"), "-c",
                       "copy", "-f", "flv", nginx.url(stream)},
                      dir.file("reference.log"));
  return "";
}

// Start latency, and the part after the source's keyframe: a new player of an nginx-rtmp stream
// gets no video before the source's next keyframe, so the time from that keyframe (as a player
// of the source sees it) to the first picture at the destination is what follows the wait. With
// a tool, the reference starts instead: one `ffmpeg -c copy` process for the same relay.
std::vector<double> start_latencies(RelayServer& server, NginxRtmp& nginx, int runs,
                                    std::vector<double>& own_parts, const TempDir& dir,
                                    bool is_reference) {
  std::vector<double> samples;
  for (int run = 0; run < runs; ++run) {
    std::string stream = (is_reference ? "reference" : "start") + std::to_string(run);
    auto watching =
        std::async(std::launch::async, [&] { return watch_frames(nginx.url(stream), 8, 1); });
    auto source = std::async(std::launch::async, [&] { return watch_frames(nginx.url("src"), 4); });
    sleep_for(300ms);
    double asked = steady_seconds();
    Process reference;
    std::string id = start_relay(server, nginx, dir, stream, is_reference, reference);
    auto frames = watching.get();
    auto source_frames = source.get();
    if (!frames.empty()) {
      samples.push_back(frames.front().wall_seconds - asked);
      for (const SeenFrame& frame : source_frames) {
        bool is_keyframe = (frame.luma - 16) % 25 == 0;  // a keyframe every 25 frames
        if (frame.wall_seconds > asked && is_keyframe) {
          own_parts.push_back(frames.front().wall_seconds - frame.wall_seconds);
          break;
        }
      }
    } else {
      std::fprintf(stderr, "start run %d: no picture at the destination (%s)\n", run,
                   is_reference ? "ffmpeg" : ("status " + server.status_of(id)).c_str());
    }
    if (!is_reference) server.call("DELETE", "/v1/p1/pull/stream/task?task_id=" + id);
    sleep_for(300ms);
  }
  return samples;
}

std::vector<double> failover_latencies(RelayServer& server, NginxRtmp& nginx, TempDir& dir,
                                       int runs) {
  std::vector<double> samples;
  for (int run = 0; run < runs; ++run) {
    std::string primary_stream = "primary" + std::to_string(run);
    std::string out = "failover" + std::to_string(run);
    LivePublisher primary(nginx.url(primary_stream), dir.file("primary.log"), counting("320x240"));
    primary.start();
    if (!eventually([&] { return nginx.is_publishing(primary_stream); }, 15s)) continue;
    json body = live_task(nginx.url(primary_stream), nginx.url(out));
    body["backup_source_type"] = "PullLivePushLive";
    body["backup_source_urls"] = {nginx.url("standby")};
    std::string id = server.create_task(body);
    server.wait_for_flow(id, 15s);
    sleep_for(2s);  // the standby is warm
    auto watching = std::async(std::launch::async, [&] { return watch_frames(nginx.url(out), 7); });
    sleep_for(1s);
    double killed = steady_seconds();
    primary.stop();
    for (const SeenFrame& frame : watching.get()) {
      if (frame.width == 176 && frame.wall_seconds > killed) {
        samples.push_back(frame.wall_seconds - killed - kStallSeconds);
        break;
      }
    }
    server.call("DELETE", "/v1/p1/pull/stream/task?task_id=" + id);
  }
  return samples;
}

std::vector<double> added_delays(RelayServer& server, NginxRtmp& nginx, const TempDir& dir,
                                 bool is_reference) {
  std::string stream = is_reference ? "reference-delay" : "delay";
  Process reference;
  std::string id = start_relay(server, nginx, dir, stream, is_reference, reference);
  if (is_reference) {
    eventually([&] { return nginx.is_publishing(stream); }, 15s);
  } else {
    server.wait_for_flow(id, 15s);
  }
  auto at_source =
      std::async(std::launch::async, [&] { return watch_frames(nginx.url("src"), 20); });
  auto at_destination =
      std::async(std::launch::async, [&] { return watch_frames(nginx.url(stream), 20); });
  auto source = at_source.get();
  auto destination = at_destination.get();
  std::vector<double> samples;
  size_t from = 0;
  for (const SeenFrame& frame : destination) {
    // The same picture (same luma) seen at the source most recently before.
    double seen = -1;
    for (size_t i = from; i < source.size() && source[i].wall_seconds <= frame.wall_seconds; ++i) {
      if (std::abs(source[i].luma - frame.luma) <= 1) {
        seen = source[i].wall_seconds;
        from = i;
      }
    }
    if (seen > 0 && frame.wall_seconds - seen < 4) samples.push_back(frame.wall_seconds - seen);
  }
  if (!is_reference) server.call("DELETE", "/v1/p1/pull/stream/task?task_id=" + id);
  return samples;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 20;
  TempDir dir;
  NginxRtmp nginx(dir.file("nginx"));
  LivePublisher source(nginx.url("src"), dir.file("src.log"), counting("320x240"));
  LivePublisher standby(nginx.url("standby"), dir.file("standby.log"), counting("176x144"));
  source.start();
  standby.start();
  if (!eventually([&] { return nginx.is_publishing("src") && nginx.is_publishing("standby"); },
                  20s)) {
    std::fprintf(stderr, "publishers did not start\n");
    return 1;
  }
  RelayServer server(dir.file("relay"),
                     {"--rate-limit-rps", "0", "--project-task-quota", "0", "--log-level", "warn"});
  // A second argument picks one measure: start, failover or delay.
  std::string only = argc > 2 ? argv[2] : "";
  std::vector<double> start_own;
  std::vector<double> reference_own;
  std::vector<double> start, reference_start, failover, delay, reference_delay;
  if (only.empty() || only == "start") {
    start = start_latencies(server, nginx, runs, start_own, dir, false);
    reference_start = start_latencies(server, nginx, runs, reference_own, dir, true);
  }
  if (only.empty() || only == "failover") failover = failover_latencies(server, nginx, dir, runs);
  if (only.empty() || only == "delay") {
    delay = added_delays(server, nginx, dir, false);
    reference_delay = added_delays(server, nginx, dir, true);
  }
  std::printf(
      "latency: 25 fps H.264/AAC sources with a keyframe every second, nginx-rtmp on "
      "loopback, stall threshold 2 s; reference: one `ffmpeg -c copy` process per relay\n\n");
  Table table(
      {"measure", "samples", "median ms", "p95 ms", "ffmpeg median", "ffmpeg p95", "target"});
  auto add = [&](const std::string& name, const std::vector<double>& ours,
                 const std::vector<double>& theirs, int decimals, const std::string& target) {
    auto ms = [&](const std::vector<double>& values, double at) {
      return values.empty() ? std::string("-") : fixed(percentile(values, at) * 1000, decimals);
    };
    table.add({name, std::to_string(ours.size()), ms(ours, 0.5), ms(ours, 0.95), ms(theirs, 0.5),
               ms(theirs, 0.95), target});
  };
  add("task start (API call -> first picture)", start, reference_start, 0, "p95 <= 1000");
  add("  of which after the source's keyframe", start_own, reference_own, 0, "");
  add("failover (beyond the stall threshold)", failover, {}, 0, "p95 <= 500");
  add("added delay (same picture, source vs destination)", delay, reference_delay, 1,
      "median <= 100");
  table.print();
  std::printf(
      "\nratios (target / measured): start p95 %.2f, failover p95 %.2f, delay median %.2f\n"
      "ratios (ffmpeg / streamrelay): start p95 %.2f, added delay median %.2f\n",
      1.0 / std::max(1e-3, percentile(start, 0.95)),
      0.5 / std::max(1e-3, percentile(failover, 0.95)),
      0.1 / std::max(1e-3, percentile(delay, 0.5)),
      percentile(reference_start, 0.95) / std::max(1e-3, percentile(start, 0.95)),
      percentile(reference_delay, 0.5) / std::max(1e-3, percentile(delay, 0.5)));
  return 0;
}
