// Cluster mode end to end: three streamrelay nodes on one throwaway PostgreSQL share thirty live
// and playlist tasks pushed into a real nginx-rtmp; one node is killed with SIGKILL, another
// stopped with SIGTERM, and the tasks must move without ever being pushed twice.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "support/callback_receiver.h"
#include "support/http_client.h"
#include "support/media_files.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/postgres_server.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr int kNodes = 3;
constexpr int kLiveTasks = 20;
constexpr int kVodTasks = 10;
constexpr int kCapacity = 16;  // two nodes can carry all thirty tasks, one cannot
constexpr double kClipSeconds = 6;
constexpr int kClips = 3;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ClusterTest : public ::testing::Test {
 protected:
  TempDir dir;
  PostgresServer postgres{dir.file("postgres")};
  std::string conninfo = postgres.create_database("relay");
  NginxRtmp nginx{dir.file("nginx")};
  CallbackReceiver receiver;
  std::string media = dir.file("media");
  std::vector<std::unique_ptr<LivePublisher>> publishers;
  std::vector<std::unique_ptr<RelayServer>> nodes;
  std::vector<std::string> playlist;
  std::map<std::string, std::string> stream_of;  // task -> destination stream
  std::vector<std::string> vod_tasks;

  void SetUp() override {
    receiver.start();
    std::filesystem::create_directories(media);
    for (int i = 0; i < kClips; ++i) {
      ClipOptions clip;
      clip.file_index = i;
      clip.seconds = kClipSeconds;
      std::string path = media + "/clip" + std::to_string(i) + ".mp4";
      make_clip(path, clip);
      playlist.push_back("file://" + path);
    }
    for (const char* name : {"a", "b"}) {
      PublisherOptions options;
      options.size = "160x120";
      options.video_bitrate = "100k";
      publishers.push_back(
          std::make_unique<LivePublisher>(nginx.url(std::string("src-") + name),
                                          dir.file(std::string("pub-") + name + ".log"), options));
      publishers.back()->start();
    }
    for (int i = 0; i < kNodes; ++i) {
      nodes.push_back(std::make_unique<RelayServer>(
          dir.file("node" + std::to_string(i)),
          std::vector<std::string>{"--database", conninfo, "--node-id", node_name(i), "--capacity",
                                   std::to_string(kCapacity), "--media-root", media, "--log-level",
                                   "info"}));
    }
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (int i = 0; i < kNodes; ++i) {
      std::string log = nodes[i]->log();
      std::cerr << "---- " << node_name(i) << " log (tail) ----\n"
                << log.substr(log.size() > 20000 ? log.size() - 20000 : 0);
    }
  }

  static std::string node_name(int i) { return "node-" + std::to_string(i); }

  // task -> owner node, for leases that are current.
  std::map<std::string, std::string> owners() {
    std::map<std::string, std::string> out;
    for (const auto& row : postgres.rows("SELECT task_id, owner_node FROM tasks WHERE owner_node "
                                         "IS NOT NULL AND lease_expires_at > " +
                                             std::to_string(wall_ms()),
                                         "relay")) {
      out[row[0]] = row[1];
    }
    return out;
  }

  std::map<std::string, int> tasks_per_node() {
    std::map<std::string, int> out;
    for (const auto& [task, node] : owners()) ++out[node];
    return out;
  }

  // Where a playlist is, in seconds since its first round began.
  double playlist_position(const std::string& task) {
    auto rows = postgres.rows(
        "SELECT file_index, file_offset_seconds, looped_times FROM task_runtime WHERE task_id = '" +
            task + "'",
        "relay");
    if (rows.empty()) return -1;
    return std::stod(rows[0][2]) * kClips * kClipSeconds + std::stod(rows[0][0]) * kClipSeconds +
           std::stod(rows[0][1]);
  }

  bool all_publishing() {
    for (const auto& [task, stream] : stream_of) {
      if (!nginx.is_publishing(stream)) return false;
    }
    return true;
  }

  std::vector<std::string> tasks_of(const std::string& node) {
    std::vector<std::string> out;
    for (const auto& [task, owner] : owners()) {
      if (owner == node) out.push_back(task);
    }
    return out;
  }

  // Every task is owned by a node other than `gone` and its destination has a publisher other
  // than the one it had before (`publisher_before`).
  bool moved(const std::vector<std::string>& tasks, const std::string& gone,
             const std::map<std::string, long>& publisher_before) {
    auto now_owners = owners();
    for (const std::string& task : tasks) {
      auto owner = now_owners.find(task);
      if (owner == now_owners.end() || owner->second == gone) return false;
      long publisher = nginx.publisher_id(stream_of[task]);
      if (publisher < 0 || publisher == publisher_before.at(task)) return false;
    }
    return true;
  }

  // Each task's lease epoch, from the tasks table.
  std::map<std::string, int64_t> epochs() {
    std::map<std::string, int64_t> out;
    for (const auto& row : postgres.rows("SELECT task_id, lease_epoch FROM tasks", "relay")) {
      out[row[0]] = std::stoll(row[1]);
    }
    return out;
  }

  std::map<std::string, long> publishers_of(const std::vector<std::string>& tasks) {
    std::map<std::string, long> out;
    for (const std::string& task : tasks) out[task] = nginx.publisher_id(stream_of[task]);
    return out;
  }

  int busiest_node(const std::set<int>& among) {
    auto counts = tasks_per_node();
    int best = *among.begin();
    for (int i : among) {
      if (counts[node_name(i)] > counts[node_name(best)]) best = i;
    }
    return best;
  }
};

}  // namespace

TEST_F(ClusterTest, ThreeNodesShareTasksAndHandThemOverWithoutEverPushingOneTwice) {
  // Thirty tasks created through one node; any node serves the API.
  for (int i = 0; i < kLiveTasks + kVodTasks; ++i) {
    bool is_vod = i >= kLiveTasks;
    std::string stream = (is_vod ? "vod-" : "live-") + std::to_string(i);
    json body = is_vod ? json{{"source_type", "PullVodPushLive"}, {"source_urls", playlist}}
                       : live_task(nginx.url(i % 2 ? "src-a" : "src-b"), "");
    body["destination_url"] = nginx.url(stream);
    body["callback_url"] = receiver.url();
    std::string id = nodes[i % kNodes]->create_task(body);
    stream_of[id] = stream;
    if (is_vod) vod_tasks.push_back(id);
  }

  // Spread over the three, none above its capacity, every destination playing.
  ASSERT_TRUE(
      eventually([&] { return owners().size() == stream_of.size() && all_publishing(); }, 40s))
      << "owned " << owners().size() << " of " << stream_of.size();
  auto spread = tasks_per_node();
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_GT(spread[node_name(i)], 0) << node_name(i);
    EXPECT_LE(spread[node_name(i)], kCapacity) << node_name(i);
  }
  for (const auto& [task, stream] : stream_of) {
    EXPECT_TRUE(nodes[2]->wait_for_flow(task, 5s)) << task;
  }
  ProbeReport live = probe(nginx.url(stream_of.begin()->second), 2, dir.file("probe-live.log"));
  EXPECT_TRUE(live.has_stream("video") && live.has_stream("audio")) << live.error;
  ProbeReport vod = probe(nginx.url(stream_of[vod_tasks[0]]), 2, dir.file("probe-vod.log"));
  EXPECT_TRUE(vod.has_stream("video") && vod.has_stream("audio")) << vod.error;

  // Playlists far enough in that a restart from the top would show.
  ASSERT_TRUE(eventually(
      [&] {
        return std::all_of(vod_tasks.begin(), vod_tasks.end(),
                           [&](const std::string& task) { return playlist_position(task) > 6; });
      },
      30s));

  // kill -9 of a node that runs playlists.
  int victim = 0;
  while (victim < kNodes && owners()[vod_tasks[0]] != node_name(victim)) ++victim;
  ASSERT_LT(victim, kNodes);
  std::vector<std::string> orphans = tasks_of(node_name(victim));
  ASSERT_FALSE(orphans.empty());
  auto publishers_before_kill = publishers_of(orphans);
  std::set<std::string> events_before_kill;
  for (const auto& row :
       postgres.rows("SELECT event_id FROM events WHERE state <> 'skipped'", "relay")) {
    events_before_kill.insert(row[0]);
  }
  std::map<std::string, double> breakpoints;
  for (const std::string& task : orphans) {
    if (std::count(vod_tasks.begin(), vod_tasks.end(), task)) {
      breakpoints[task] = playlist_position(task);
    }
  }
  ASSERT_FALSE(breakpoints.empty());
  ASSERT_FALSE(events_before_kill.empty());
  auto epochs_before_kill = epochs();
  nodes[victim]->kill9();
  auto kill_started = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      eventually([&] { return moved(orphans, node_name(victim), publishers_before_kill); }, 15s))
      << orphans.size() << " tasks of the killed node did not play again within 15 s";
  double takeover_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - kill_started).count();
  std::cerr << "takeover of " << orphans.size() << " tasks after kill -9: " << takeover_s << " s\n";

  // Playlists went on from their breakpoints, not from the top.
  sleep_for(2s);
  for (const auto& [task, before] : breakpoints) {
    double after = playlist_position(task);
    EXPECT_GE(after, before - 1.0) << task;
    EXPECT_LE(after, before + takeover_s + 6.0) << task;
  }
  // Each orphan was taken under a new epoch.
  auto epochs_after_kill = epochs();
  for (const std::string& task : orphans) {
    EXPECT_GT(epochs_after_kill[task], epochs_before_kill[task]) << task;
  }

  // The node comes back (same name), then another one leaves gracefully.
  nodes[victim]->start();
  sleep_for(2s);
  int leaver = busiest_node({0, 1, 2});
  std::vector<std::string> handed = tasks_of(node_name(leaver));
  ASSERT_FALSE(handed.empty());
  auto publishers_before_stop = publishers_of(handed);
  auto stop_started = std::chrono::steady_clock::now();
  nodes[leaver]->terminate();
  auto epochs_before_stop = epochs_after_kill;
  ASSERT_TRUE(
      eventually([&] { return moved(handed, node_name(leaver), publishers_before_stop); }, 3s))
      << handed.size() << " tasks of the stopped node did not play again within 3 s";
  std::cerr
      << "handover of " << handed.size() << " tasks after SIGTERM: "
      << std::chrono::duration<double>(std::chrono::steady_clock::now() - stop_started).count()
      << " s\n";
  ASSERT_TRUE(eventually([&] { return all_publishing(); }, 10s));
  for (const auto& [node, count] : tasks_per_node()) EXPECT_LE(count, kCapacity) << node;

  auto epochs_after_stop = epochs();
  for (const std::string& task : handed) {
    EXPECT_GT(epochs_after_stop[task], epochs_before_stop[task]) << task;
  }

  // Never two pushes of one task at a time, as the ingest saw them: nginx refused no second
  // publisher, and each stream's publish sessions follow one another without overlapping.
  EXPECT_EQ(read_file(dir.file("nginx") + "/logs/error.log").find("already publishing"),
            std::string::npos);
  std::set<std::string> moved_tasks(orphans.begin(), orphans.end());
  moved_tasks.insert(handed.begin(), handed.end());
  for (const auto& [task, stream] : stream_of) {
    auto sessions = nginx.publish_sessions(stream);
    ASSERT_FALSE(sessions.empty()) << stream;
    for (size_t k = 1; k < sessions.size(); ++k) {
      EXPECT_GT(sessions[k - 1].ended, 0)
          << stream << ": a session ended only after the next began";
      EXPECT_LE(sessions[k - 1].ended, sessions[k].began) << stream << ": sessions overlap";
    }
    // Every task that moved was published again by its new node: a handover for all of them.
    if (moved_tasks.count(task)) {
      EXPECT_GE(sessions.size(), 2u) << stream;
    }
  }

  // Every event stored before the kill reaches the receiver, each task's in order.
  auto delivered = [&] {
    std::set<std::string> got;
    for (const ReceivedCallback& callback : receiver.received()) {
      got.insert(callback.json().value("event_id", ""));
    }
    return std::includes(got.begin(), got.end(), events_before_kill.begin(),
                         events_before_kill.end());
  };
  EXPECT_TRUE(eventually(delivered, 45s)) << events_before_kill.size() << " events expected";
  std::cerr << events_before_kill.size() << " events stored before the kill, all delivered\n";
  std::map<std::string, int64_t> last_sequence;
  std::set<std::string> seen_events;
  for (const ReceivedCallback& callback : receiver.received()) {
    json body = callback.json();
    if (!seen_events.insert(body.value("event_id", "")).second) continue;  // a redelivery
    int64_t& last = last_sequence[body.value("task_id", "")];
    EXPECT_GT(body["sequence"].get<int64_t>(), last) << body.dump();
    last = body["sequence"].get<int64_t>();
  }
}

TEST(ClusterDatabaseLossTest, ANodeThatLosesTheDatabaseStopsItsRelaysBeforeItsLeasesRunOut) {
  TempDir dir;
  PostgresServer postgres(dir.file("postgres"));
  std::string conninfo = postgres.create_database("relay");
  NginxRtmp nginx(dir.file("nginx"));
  PublisherOptions options;
  options.size = "160x120";
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"), options);
  publisher.start();
  RelayServer node(dir.file("node"), {"--database", conninfo, "--node-id", "lonely"});
  std::string id = node.create_task(live_task(nginx.url("src"), nginx.url("out")));
  ASSERT_TRUE(eventually([&] { return nginx.is_publishing("out"); }, 20s));

  // Without the database the node cannot tell whether another took its tasks: it must stop
  // pushing before the lease (10 s) could have run out.
  auto lost_at = std::chrono::steady_clock::now();
  postgres.stop();
  ASSERT_TRUE(eventually([&] { return !nginx.is_publishing("out"); }, 10s)) << node.log();
  double stopped_after =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - lost_at).count();
  std::cerr << "relay stopped " << stopped_after << " s after the database went away\n";
  EXPECT_NE(node.log().find("event=leases_given_up node=lonely"), std::string::npos);
  // The process itself carries on, and says it is not ready.
  HttpClient http;
  EXPECT_EQ(http.request("GET", node.base_url() + "/healthz").status, 200);
  EXPECT_EQ(http.request("GET", node.base_url() + "/readyz").status, 503);
}

// The egress policy is for the addresses users name: the service's own connections to the database
// the operator named are not held to it. A node that refuses loopback for relays still opens its
// reading connections, and reconnects, to a database on loopback.
TEST(ClusterDatabaseLossTest, ANodeReachesItsDatabaseOnLoopbackWhateverTheEgressPolicySays) {
  TempDir dir;
  PostgresServer postgres(dir.file("postgres"));
  std::string conninfo = postgres.create_database("relay");
  RelayServer node(dir.file("node"), {"--database", conninfo, "--node-id", "strict"},
                   /*allows_loopback=*/false);
  json task = live_task("rtmp://source.example.com/live/a", "rtmp://ingest.example.com/live/b");
  task["start_time"] = "2099-01-01T00:00:00Z";
  task["end_time"] = "2099-01-02T00:00:00Z";
  std::string id = node.create_task(task);
  HttpClient http;
  auto lists_the_task = [&] {
    HttpReply reply = http.request("GET", node.tasks_url("p1") + "?task_id=" + id);
    return reply.status == 200 && reply.json().value("total", 0) == 1;
  };
  EXPECT_TRUE(lists_the_task()) << node.log();
  // Every connection of the node is cut: it must connect again.
  postgres.query(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
      "'relay' AND pid <> pg_backend_pid()");
  EXPECT_TRUE(eventually(lists_the_task, 15s)) << node.log();
  EXPECT_TRUE(eventually(
      [&] { return http.request("GET", node.base_url() + "/readyz").status == 200; }, 15s))
      << node.log();
}
