// Months of tasks coming and going, in a minute: live tasks created and deleted 200 times
// against a real ingest leave the process with the descriptors and threads it had before, and
// once the event retention (seconds here) has passed no row of a deleted task is left.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "support/callback_receiver.h"
#include "support/media_tools.h"
#include "support/nginx_rtmp.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

int open_descriptors(pid_t pid) {
  int count = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    ++count;
  }
  return count;
}

int threads_of(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

// Rows of the database (opened read-only beside the running service) that name one of `ids`.
int rows_naming(const std::string& database, const std::vector<std::string>& ids) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return -1;
  }
  sqlite3_busy_timeout(db, 5000);
  int rows = 0;
  for (const char* table : {"tasks", "task_runtime", "event_sequences", "events"}) {
    sqlite3_stmt* stmt = nullptr;
    std::string sql = std::string("SELECT COUNT(*) FROM ") + table + " WHERE task_id = ?";
    sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
    for (const std::string& id : ids) {
      sqlite3_bind_text(stmt, 1, id.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(stmt) == SQLITE_ROW) rows += sqlite3_column_int(stmt, 0);
      sqlite3_reset(stmt);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return rows;
}

}  // namespace

TEST(ChurnTest, TwoHundredLiveTasksCreatedAndDeletedLeaveNoDescriptorThreadOrRowBehind) {
  constexpr int kRounds = 20;
  constexpr int kTasksPerRound = 10;
  TempDir dir;
  NginxRtmp nginx(dir.file("nginx"));
  LivePublisher publisher(nginx.url("src"), dir.file("publisher.log"));
  publisher.start();
  ASSERT_TRUE(eventually([&] { return nginx.is_publishing("src"); }, 20s));
  CallbackReceiver receiver;
  // Events kept 9 s once delivered: removal runs every second.
  RelayServer server(dir.file("relay"), {"--event-retention-h", "0.0025", "--log-level", "info",
                                         "--rate-limit-rps", "0"});
  auto body_for = [&](const std::string& name) {
    json body = live_task(nginx.url("src"), nginx.url(name));
    body["callback_url"] = receiver.url();
    return body;
  };
  // One relay that stays, and one task created and deleted first: whatever the process makes
  // once (its loops, its store statements, the callback client) exists before the baseline.
  std::string kept = server.create_task(body_for("kept"));
  ASSERT_TRUE(server.wait_for_flow(kept, 20s));
  std::string first = server.create_task(body_for("first"));
  ASSERT_TRUE(server.wait_for_flow(first, 20s));
  ASSERT_EQ(server.call("DELETE", "/v1/p1/pull/stream/task?task_id=" + first).status, 200);
  ASSERT_TRUE(eventually([&] { return !nginx.is_publishing("first"); }, 10s));
  sleep_for(2s);
  int descriptors = open_descriptors(server.pid());
  int threads = threads_of(server.pid());

  std::vector<std::string> deleted = {first};
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::string> ids;
    std::vector<std::string> names;
    for (int i = 0; i < kTasksPerRound; ++i) {
      names.push_back("churn" + std::to_string(round * kTasksPerRound + i));
      ids.push_back(server.create_task(body_for(names.back())));
    }
    // Each relay reaches the ingest before it goes: a real session, torn down for real.
    bool is_all_publishing = eventually(
        [&] {
          for (const std::string& name : names) {
            if (!nginx.is_publishing(name)) return false;
          }
          return true;
        },
        20s);
    ASSERT_TRUE(is_all_publishing) << "round " << round;
    for (const std::string& id : ids) {
      ASSERT_EQ(server.call("DELETE", "/v1/p1/pull/stream/task?task_id=" + id).status, 200);
      deleted.push_back(id);
    }
    bool is_all_gone = eventually(
        [&] {
          for (const std::string& name : names) {
            if (nginx.is_publishing(name)) return false;
          }
          return true;
        },
        10s);
    ASSERT_TRUE(is_all_gone) << "round " << round;
  }
  ASSERT_EQ(deleted.size(), 1u + kRounds * kTasksPerRound);
  std::string database = dir.file("relay") + "/data/streamrelay.db";
  std::vector<std::string> last_round(deleted.end() - kTasksPerRound, deleted.end());
  ASSERT_GT(rows_naming(database, last_round), 0) << "the deleted tasks' events were never stored";

  // Descriptors and threads come back to where they were (a relay's sockets close, its fibers
  // end, a blocking-call worker that served it retires when idle).
  bool is_back = eventually(
      [&] {
        return open_descriptors(server.pid()) == descriptors && threads_of(server.pid()) == threads;
      },
      30s);
  EXPECT_TRUE(is_back) << "descriptors " << descriptors << " -> " << open_descriptors(server.pid())
                       << ", threads " << threads << " -> " << threads_of(server.pid());
  EXPECT_TRUE(server.wait_for_flow(kept, 5s)) << "the relay that stayed stopped";

  // Every event of the deleted tasks was delivered; once the retention has passed, none of
  // their rows is left, while the task that stays keeps its own.
  bool is_purged = eventually([&] { return rows_naming(database, deleted) == 0; }, 30s);
  EXPECT_TRUE(is_purged) << rows_naming(database, deleted) << " rows of deleted tasks left";
  std::set<std::string> delivered;
  for (const auto& callback : receiver.received()) {
    delivered.insert(callback.json().value("task_id", ""));
  }
  for (const std::string& id : deleted)
    EXPECT_TRUE(delivered.count(id)) << id << " never called back";
  EXPECT_GT(rows_naming(database, {kept}), 0);
  json events = server.call("GET", "/v1/p1/pull/stream/task/events?task_id=" + kept).json();
  EXPECT_DOUBLE_EQ(events["retention"]["hours"].get<double>(), 0.0025);
}
