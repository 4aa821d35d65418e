#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include <sqlite3.h>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_schema.h"
#include "store/sqlite/sqlite_store.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

// One suite for every Store implementation: SQLite (a single node) and PostgreSQL (a cluster),
// each against the real engine.

using namespace streamrelay;

namespace {

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kNowMs = kNow * 1000;
constexpr int64_t kTtlMs = 10'000;

task::TaskSpec spec_of(const std::string& id, const std::string& project = "p1",
                       const std::string& region = "local") {
  task::TaskSpec spec;
  spec.task_id = id;
  spec.project_id = project;
  spec.region = region;
  spec.source_urls = {"rtmp://src/live/a"};
  spec.destination_url = "rtmp://dst/live/" + id;
  spec.start_time = kNow;
  spec.end_time = kNow + 3600;
  spec.create_time = kNow;
  return spec;
}

// Where a test's store lives; open() opens it (again) as a node would.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::unique_ptr<store::Store> open(const std::string& node_id = "node-a") = 0;
};

class SqliteBackend final : public Backend {
 public:
  std::unique_ptr<store::Store> open(const std::string&) override {
    return std::make_unique<store::SqliteStore>(dir_.file("db"));
  }

 private:
  test_support::TempDir dir_;
};

// One server for the whole run; every test gets a database of its own.
test_support::PostgresServer& postgres() {
  static test_support::TempDir folder;
  static test_support::PostgresServer server(folder.path().string());
  return server;
}

class PostgresBackend final : public Backend {
 public:
  PostgresBackend() {
    static std::atomic<int> counter{0};
    conninfo_ = postgres().create_database("store_test_" + std::to_string(++counter));
  }
  std::unique_ptr<store::Store> open(const std::string& node_id) override {
    return std::make_unique<store::PostgresStore>(conninfo_, node_id);
  }

 private:
  std::string conninfo_;
};

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Backend> backend = make_backend();
  std::unique_ptr<store::Store> store = backend->open();

  static std::unique_ptr<Backend> make_backend() {
    if (GetParam() == "postgres") return std::make_unique<PostgresBackend>();
    return std::make_unique<SqliteBackend>();
  }

  void create(const task::TaskSpec& spec, const std::string& key = "") {
    ASSERT_TRUE(store->create_task(spec, key.empty() ? spec.task_id : key, kNow, 0).ok());
  }
  // The epoch this node holds the task at (0 on a single node, where nothing is leased).
  int64_t lease_of(const std::string& task_id) {
    for (const auto& lease : store->acquire_leases({"node-a", {}, 1000}, kNowMs, kTtlMs)) {
      if (lease.task_id == task_id) return lease.epoch;
    }
    return 0;
  }
};

std::vector<std::string> ids_of(const std::vector<store::Lease>& leases) {
  std::vector<std::string> ids;
  for (const auto& lease : leases) ids.push_back(lease.task_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Engines, StoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(StoreTest, ACreatedTaskIsFoundInItsProjectOnly) {
  create(spec_of("t1"));
  auto found = store->find_task("p1", "t1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->spec.destination_url, "rtmp://dst/live/t1");
  EXPECT_FALSE(store->find_task("p2", "t1"));
}

TEST_P(StoreTest, ListIsNewestFirstStableAcrossPagesAndCountsAll) {
  for (int i = 0; i < 25; ++i) create(spec_of("t" + std::to_string(i)));
  create(spec_of("other", "p2"));
  task::ListQuery query;
  query.limit = 10;
  auto first = store->list_tasks("p1", query);
  EXPECT_EQ(first.total, 25);
  ASSERT_EQ(first.records.size(), 10u);
  EXPECT_EQ(first.records.front().spec.task_id, "t24");
  query.offset = 20;
  auto last = store->list_tasks("p1", query);
  ASSERT_EQ(last.records.size(), 5u);
  EXPECT_EQ(last.records.back().spec.task_id, "t0");
}

// Pages are read beside writes (on SQLite by connections of their own, two at once here): while
// tasks are created and deleted, each page holds as many records as its total leaves after the
// offset, in order.
TEST_P(StoreTest, PagesReadBesideWritesAreWholeAndInOrder) {
  for (int i = 0; i < 1500; ++i) create(spec_of("base" + std::to_string(i)));
  std::atomic<bool> is_writing{true};
  std::atomic<int> pages{0};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (int i = 0; i < 300; ++i) {
      std::string id = "w" + std::to_string(i);
      if (!store->create_task(spec_of(id), id, kNow, 0).ok()) ++failures;
      if (i % 2 == 1 && !store->delete_task("p1", "w" + std::to_string(i - 1), {}).ok()) {
        ++failures;
      }
    }
    is_writing = false;
  });
  auto read_pages = [&] {
    int64_t total = 1500;
    do {
      for (int64_t offset : {int64_t{0}, total / 2 - 3, total - 4}) {
        task::ListQuery query;
        query.limit = 10;
        query.offset = offset;
        store::TaskPage page = store->list_tasks("p1", query);
        total = page.total;
        size_t want = static_cast<size_t>(std::clamp<int64_t>(total - offset, 0, 10));
        bool is_ordered =
            std::is_sorted(page.records.begin(), page.records.end(),
                           [](const auto& a, const auto& b) { return a.seq > b.seq; });
        if (page.records.size() != want || !is_ordered) ++failures;
        ++pages;
      }
    } while (is_writing);
  };
  std::thread reader_a(read_pages);
  std::thread reader_b(read_pages);
  writer.join();
  reader_a.join();
  reader_b.join();
  EXPECT_EQ(failures, 0) << "of " << pages << " pages";
  EXPECT_GT(pages, 6);
}

// Pages are found through per-block counts: every page of a project whose tasks span several
// blocks, with deletes in between and another project and region interleaved, is what a scan
// of the tasks in order would give.
TEST_P(StoreTest, EveryPageAcrossBlocksIsWhatAScanInOrderGives) {
  std::vector<std::string> all;  // p1's live tasks, oldest first
  std::vector<std::string> in_r2;
  std::vector<std::string> ids;
  for (int i = 0; i < 2300; ++i) {
    std::string id = "t" + std::to_string(i);
    if (i % 7 == 3) {
      create(spec_of(id, "p2"));  // another project's numbers in between
      continue;
    }
    std::string region = i % 3 == 0 ? "r2" : "r1";
    create(spec_of(id, "p1", region));
    ids.push_back(id);
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    // Whole runs and single tasks deleted, a block emptied entirely.
    bool is_deleted = i % 11 == 5 || (i >= 900 && i < 2000);
    if (is_deleted) {
      ASSERT_TRUE(store->delete_task("p1", ids[i], {}).ok());
      if (i % 2 == 0) store->purge_tasks({ids[i]}, kNow);
      continue;
    }
    all.push_back(ids[i]);
    if (std::stoi(ids[i].substr(1)) % 3 == 0) in_r2.push_back(ids[i]);
  }
  auto expect_pages = [&](const std::vector<std::string>& oldest_first,
                          std::optional<std::string> region) {
    std::vector<std::string> newest(oldest_first.rbegin(), oldest_first.rend());
    for (int64_t limit : {1, 7, 100}) {
      for (int64_t offset = 0; offset <= static_cast<int64_t>(newest.size()) + 3;
           offset += limit == 100 ? 37 : 97) {
        task::ListQuery query;
        query.region = region;
        query.limit = limit;
        query.offset = offset;
        store::TaskPage page = store->list_tasks("p1", query);
        ASSERT_EQ(page.total, static_cast<int64_t>(newest.size()));
        std::vector<std::string> got;
        for (const auto& record : page.records) got.push_back(record.spec.task_id);
        auto from = newest.begin() + std::min<int64_t>(offset, newest.size());
        std::vector<std::string> want(from, from + std::min<int64_t>(limit, newest.end() - from));
        ASSERT_EQ(got, want) << "offset " << offset << " limit " << limit;
      }
    }
  };
  expect_pages(all, std::nullopt);
  expect_pages(in_r2, "r2");
  task::ListQuery other;
  other.region = "nowhere";
  EXPECT_EQ(store->list_tasks("p1", other).total, 0);
  EXPECT_EQ(store->list_tasks("p2", task::ListQuery{}).total, 2300 / 7 + 1);
}

TEST_P(StoreTest, ListFiltersByRegionAndTaskId) {
  create(spec_of("a", "p1", "r1"));
  create(spec_of("b", "p1", "r2"));
  task::ListQuery query;
  query.region = "r2";
  EXPECT_EQ(store->list_tasks("p1", query).records.at(0).spec.task_id, "b");
  query.region.reset();
  query.task_id = "a";
  EXPECT_EQ(store->list_tasks("p1", query).total, 1);
}

TEST_P(StoreTest, TwoActiveTasksCannotShareADestination) {
  create(spec_of("a"), "rtmp://dst:1935/live/x");
  auto status = store->create_task(spec_of("b"), "rtmp://dst:1935/live/x", kNow, 0);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, task::ErrorKind::conflict);
}

TEST_P(StoreTest, AFinishedTaskFreesItsDestination) {
  create(spec_of("a"), "rtmp://dst:1935/live/x");
  auto record = store->find_task("p1", "a");
  ASSERT_TRUE(store->finish_task("a", task::FinishReason::end_time_reached, record->revision, {}));
  EXPECT_TRUE(store->create_task(spec_of("b"), "rtmp://dst:1935/live/x", kNow, 0).ok());
}

TEST_P(StoreTest, AnUpdateFromAStaleRevisionIsRefused) {
  create(spec_of("a"));
  auto record = store->find_task("p1", "a");
  task::TaskSpec changed = record->spec;
  changed.is_paused = true;
  ASSERT_TRUE(store->update_task(changed, record->revision, false, "a", kNow, {}).ok());
  auto stale = store->update_task(changed, record->revision, false, "a", kNow, {});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().kind, task::ErrorKind::bad_state);
  EXPECT_TRUE(store->find_task("p1", "a")->spec.is_paused);
}

TEST_P(StoreTest, ChangesAreSeenInRevisionOrderDeletesIncluded) {
  create(spec_of("a"));
  create(spec_of("b"));
  auto all = store->tasks_changed_since(0, 1000);
  ASSERT_EQ(all.size(), 2u);
  int64_t seen = all.back().revision;
  ASSERT_TRUE(store->delete_task("p1", "a", {}).ok());
  auto changes = store->tasks_changed_since(seen, 1000);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].is_deleted);
  EXPECT_FALSE(store->find_task("p1", "a"));
  store->purge_tasks({"a"}, kNow);
  EXPECT_TRUE(store->tasks_changed_since(0, 1000).size() == 1u);
}

TEST_P(StoreTest, ChangesReadInBatchesAreEachTaskOnceInRevisionOrder) {
  for (int i = 0; i < 25; ++i) create(spec_of("t" + std::to_string(i)));
  ASSERT_TRUE(store->delete_task("p1", "t3", {}).ok());  // t3 changes again, after t24
  std::vector<std::string> seen;
  int64_t revision = 0;
  for (;;) {
    auto batch = store->tasks_changed_since(revision, 7);
    ASSERT_LE(batch.size(), 7u);
    for (const auto& record : batch) {
      EXPECT_GT(record.revision, revision);
      revision = record.revision;
      seen.push_back(record.spec.task_id);
    }
    if (batch.size() < 7) break;
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "t0");
  EXPECT_EQ(seen.back(), "t3");
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "t3"), 1);
}

TEST_P(StoreTest, DeletedTasksArePurgedInOneGoAndLiveOnesAreLeft) {
  for (const char* id : {"a", "b", "c"}) create(spec_of(id));
  ASSERT_TRUE(store->delete_task("p1", "a", {}).ok());
  ASSERT_TRUE(store->delete_task("p1", "b", {}).ok());
  store->purge_tasks({"a", "b", "c"}, kNow);
  auto left = store->tasks_changed_since(0, 1000);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].spec.task_id, "c");
  EXPECT_FALSE(store->stored_runtime("a"));
  EXPECT_TRUE(store->stored_runtime("c"));
}

TEST_P(StoreTest, RuntimeReportsAreKeptApartFromTheSpec) {
  create(spec_of("a"));
  task::TaskRuntime runtime;
  runtime.relay_state = task::RelayState::flowing;
  runtime.bytes_out = 1234;
  runtime.last_error = "x";
  store->save_runtimes({{"a", runtime, lease_of("a")}});
  auto record = store->find_task("p1", "a");
  EXPECT_EQ(record->runtime.relay_state, task::RelayState::flowing);
  EXPECT_EQ(record->runtime.bytes_out, 1234);
  EXPECT_EQ(record->revision, store->tasks_changed_since(0, 1000).at(0).revision);
}

TEST_P(StoreTest, ReopeningKeepsEverythingAndTheSchemaVersion) {
  create(spec_of("a"));
  int version = store->schema_version();
  EXPECT_GE(version, 1);
  store.reset();
  store = backend->open();
  EXPECT_EQ(store->schema_version(), version);
  EXPECT_TRUE(store->find_task("p1", "a"));
}

TEST_P(StoreTest, EventsAreNumberedPerTaskAndKeptWithTheChangeThatMadeThem) {
  create(spec_of("a"));
  task::TaskSpec spec = spec_of("a");
  spec.callback_url = "cb.example.com";
  store->append_events({task::task_start_event(spec, "rtmp://src/live/a", kNow),
                        task::alarm_event(spec, "SourceInterrupted", "gone", kNow)});
  auto record = store->find_task("p1", "a");
  ASSERT_TRUE(
      store->delete_task("p1", "a", {task::task_exit_event(spec, "Deleted", "", kNow)}).ok());
  auto events = store->task_events("a", 10);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event.sequence, 1);
  EXPECT_EQ(events[2].event.sequence, 3);
  EXPECT_EQ(events[2].event.event_type, "TaskExit");
  EXPECT_EQ(events[0].state, "pending");
  EXPECT_EQ(events[0].event.callback_url, "http://cb.example.com");
}

TEST_P(StoreTest, EventsOfATaskWithoutCallbackUrlAreKeptButNotDelivered) {
  create(spec_of("a"));
  store->append_events({task::task_start_event(spec_of("a"), "x", kNow)});
  EXPECT_EQ(store->task_events("a", 10).at(0).state, "skipped");
}

TEST_P(StoreTest, EventsPastTheirRetentionGoUnlessTheyStillWaitForDelivery) {
  store->set_retention({3600, 1000});
  create(spec_of("a"));
  task::TaskSpec spec = spec_of("a");
  store->append_events({task::task_start_event(spec, "x", kNow - 7200),  // skipped, old
                        task::task_start_event(spec, "x", kNow - 60)});  // skipped, recent
  spec.callback_url = "http://cb.example.com";
  store->append_events({task::task_start_event(spec, "x", kNow - 7200),    // pending, old
                        task::task_start_event(spec, "x", kNow - 7200)});  // delivered, old
  store->mark_event_delivered(store->task_events("a", 10).back().event.event_id);
  store::RetentionPass pass = store->apply_retention(kNow, 100);
  EXPECT_EQ(pass.events, 2);
  auto kept = store->task_events("a", 10);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].event.sequence, 2);
  EXPECT_EQ(kept[1].event.sequence, 3);
  EXPECT_EQ(kept[1].state, "pending");
  EXPECT_EQ(store->apply_retention(kNow, 100).events, 0);
}

TEST_P(StoreTest, ATaskKeepsItsNewestEventsUpToTheCountAndEveryPendingOne) {
  store->set_retention({3600, 3});
  create(spec_of("a"));
  task::TaskSpec quiet = spec_of("a");
  task::TaskSpec called = spec_of("a");
  called.callback_url = "http://cb.example.com";
  store->append_events({task::task_start_event(called, "x", kNow)});  // 1, pending
  for (int i = 0; i < 6; ++i) store->append_events({task::task_start_event(quiet, "x", kNow)});
  auto kept = store->task_events("a", 100);
  ASSERT_EQ(kept.size(), 4u);  // the pending first one and the newest three
  EXPECT_EQ(kept[0].event.sequence, 1);
  EXPECT_EQ(kept[1].event.sequence, 5);
  EXPECT_EQ(kept[3].event.sequence, 7);
  store->append_events({task::task_start_event(quiet, "x", kNow)});
  EXPECT_EQ(store->task_events("a", 100).back().event.sequence, 8);  // numbering goes on
}

TEST_P(StoreTest, ADeletedTasksRowsAllGoOnceItsRetentionHasPassed) {
  store->set_retention({3600, 1000});
  create(spec_of("a"));
  create(spec_of("b"));
  task::TaskSpec a = spec_of("a");
  store->append_events({task::task_start_event(a, "x", kNow)});
  ASSERT_TRUE(store->delete_task("p1", "a", {task::task_exit_event(a, "Deleted", "", kNow)}).ok());
  store->purge_tasks({"a"}, kNow);
  store->append_events({task::task_start_event(spec_of("b"), "x", kNow + 3000)});
  EXPECT_EQ(store->apply_retention(kNow + 3599, 100).tasks, 0);
  EXPECT_EQ(store->task_events("a", 10).size(), 2u);  // within the retention: still there
  store::RetentionPass pass = store->apply_retention(kNow + 3601, 100);
  EXPECT_EQ(pass.tasks, 1);
  EXPECT_EQ(pass.events, 2);
  EXPECT_TRUE(store->task_events("a", 10).empty());
  EXPECT_EQ(store->task_events("b", 10).size(), 1u);  // b is not deleted: its event is recent
  EXPECT_EQ(store->tasks_changed_since(0, 1000).size(), 1u);
  EXPECT_EQ(store->apply_retention(kNow + 3601, 100).tasks, 0);
}

TEST_P(StoreTest, ADeletedTaskWithAnEventStillToDeliverKeepsItsRows) {
  store->set_retention({60, 1000});
  create(spec_of("a"));
  task::TaskSpec a = spec_of("a");
  a.callback_url = "http://cb.example.com";
  ASSERT_TRUE(store->delete_task("p1", "a", {task::task_exit_event(a, "Deleted", "", kNow)}).ok());
  store->purge_tasks({"a"}, kNow);
  EXPECT_EQ(store->apply_retention(kNow + 3600, 100).tasks, 0);
  ASSERT_EQ(store->task_events("a", 10).size(), 1u);
  store->mark_event_delivered(store->task_events("a", 10).at(0).event.event_id);
  EXPECT_EQ(store->apply_retention(kNow + 3600, 100).tasks, 1);
  EXPECT_TRUE(store->task_events("a", 10).empty());
}

TEST_P(StoreTest, AProjectOverItsQuotaIsRefusedOthersAreNot) {
  ASSERT_TRUE(store->create_task(spec_of("a"), "a", kNow, 2).ok());
  ASSERT_TRUE(store->create_task(spec_of("b"), "b", kNow, 2).ok());
  auto refused = store->create_task(spec_of("c"), "c", kNow, 2);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, task::ErrorKind::quota_exceeded);
  EXPECT_TRUE(store->create_task(spec_of("d", "p2"), "d", kNow, 2).ok());
  ASSERT_TRUE(store->delete_task("p1", "a", {}).ok());
  EXPECT_TRUE(store->create_task(spec_of("c"), "c", kNow, 2).ok());
}

TEST_P(StoreTest, ASingleNodeStoreIsNotShared) {
  EXPECT_EQ(store->is_shared(), GetParam() == "postgres");
}

TEST_P(StoreTest, StoredRuntimeIsTheLastOneWritten) {
  create(spec_of("a"));
  EXPECT_EQ(store->stored_runtime("a")->file_index, 0);
  auto leases = store->acquire_leases({"node-a", {}, 10}, kNowMs, kTtlMs);
  task::TaskRuntime runtime;
  runtime.file_index = 2;
  runtime.file_offset_seconds = 12.5;
  runtime.looped_times = 1;
  store->save_runtimes({{"a", runtime, leases.empty() ? 0 : leases[0].epoch}});
  auto stored = store->stored_runtime("a");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->file_index, 2);
  EXPECT_DOUBLE_EQ(stored->file_offset_seconds, 12.5);
  EXPECT_EQ(stored->looped_times, 1);
  EXPECT_FALSE(store->stored_runtime("nope"));
}

TEST_P(StoreTest, NodesClaimTasksUpToTheirCapacityAndNeverTheSameOne) {
  if (!store->is_shared()) GTEST_SKIP() << "a single-node store runs every task itself";
  for (int i = 0; i < 5; ++i) create(spec_of("t" + std::to_string(i)));
  auto other = backend->open("node-b");
  auto a = store->acquire_leases({"node-a", {}, 3}, kNowMs, kTtlMs);
  auto b = other->acquire_leases({"node-b", {}, 10}, kNowMs, kTtlMs);
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(b.size(), 2u);
  for (const auto& lease : a) {
    for (const auto& theirs : b) EXPECT_NE(lease.task_id, theirs.task_id);
    EXPECT_EQ(lease.epoch, 1);
  }
  // Renewing keeps the same tasks at the same epochs.
  EXPECT_EQ(ids_of(store->acquire_leases({"node-a", {}, 3}, kNowMs + 1000, kTtlMs)), ids_of(a));
}

TEST_P(StoreTest, OnlyTasksThatShouldRunAreClaimed) {
  if (!store->is_shared()) GTEST_SKIP() << "a single-node store runs every task itself";
  create(spec_of("runs"));
  task::TaskSpec later = spec_of("later");
  later.start_time = kNow + 60;
  create(later);
  task::TaskSpec paused = spec_of("paused");
  paused.is_paused = true;
  create(paused);
  task::TaskSpec paused_playlist = spec_of("paused-playlist");
  paused_playlist.source_type = task::SourceType::vod;
  paused_playlist.is_paused = true;
  create(paused_playlist);
  create(spec_of("elsewhere", "p1", "far"));
  create(spec_of("deleted"));
  ASSERT_TRUE(store->delete_task("p1", "deleted", {}).ok());
  auto leases = store->acquire_leases({"node-a", {"local"}, 10}, kNowMs, kTtlMs);
  // A paused playlist keeps its destination session (it shows the slate), so it runs.
  EXPECT_EQ(ids_of(leases), (std::vector<std::string>{"paused-playlist", "runs"}));
  auto any_region = backend->open("node-b")->acquire_leases({"node-b", {}, 10}, kNowMs, kTtlMs);
  EXPECT_EQ(ids_of(any_region), (std::vector<std::string>{"elsewhere"}));
}

TEST_P(StoreTest, AnExpiredLeaseIsTakenOverAtAHigherEpochAndTheOldOwnerIsFenced) {
  if (!store->is_shared()) GTEST_SKIP() << "a single-node store runs every task itself";
  create(spec_of("a"));
  auto other = backend->open("node-b");
  auto held = store->acquire_leases({"node-a", {}, 10}, kNowMs, kTtlMs);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_TRUE(other->acquire_leases({"node-b", {}, 10}, kNowMs + kTtlMs - 1, kTtlMs).empty());
  auto taken = other->acquire_leases({"node-b", {}, 10}, kNowMs + kTtlMs + 1, kTtlMs);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].epoch, held[0].epoch + 1);
  // The old owner wakes up: its lease is gone and its runtime writes are refused.
  EXPECT_TRUE(store->acquire_leases({"node-a", {}, 10}, kNowMs + kTtlMs + 2, kTtlMs).empty());
  task::TaskRuntime stale;
  stale.file_index = 7;
  store->save_runtimes({{"a", stale, held[0].epoch}});
  EXPECT_EQ(store->stored_runtime("a")->file_index, 0);
  task::TaskRuntime fresh;
  fresh.file_index = 3;
  other->save_runtimes({{"a", fresh, taken[0].epoch}});
  EXPECT_EQ(store->stored_runtime("a")->file_index, 3);
}

TEST_P(StoreTest, ReleasedLeasesAreClaimedAtOnceAndFinishedTasksGivenBack) {
  if (!store->is_shared()) GTEST_SKIP() << "a single-node store runs every task itself";
  create(spec_of("a"));
  create(spec_of("b"));
  auto other = backend->open("node-b");
  ASSERT_EQ(store->acquire_leases({"node-a", {}, 10}, kNowMs, kTtlMs).size(), 2u);
  auto record = store->find_task("p1", "b");
  ASSERT_TRUE(store->finish_task("b", task::FinishReason::end_time_reached, record->revision, {}));
  EXPECT_EQ(ids_of(store->acquire_leases({"node-a", {}, 10}, kNowMs + 100, kTtlMs)),
            (std::vector<std::string>{"a"}));
  store->release_leases("node-a");
  auto taken = other->acquire_leases({"node-b", {}, 10}, kNowMs + 200, kTtlMs);
  EXPECT_EQ(ids_of(taken), (std::vector<std::string>{"a"}));
  EXPECT_EQ(taken[0].epoch, 2);
}

TEST_P(StoreTest, AnEventIsHandedToOneNodeAtATimeAndOfferedAgainIfItsNodeDies) {
  if (!store->is_shared()) GTEST_SKIP() << "a single-node store runs every task itself";
  task::TaskSpec spec = spec_of("a");
  spec.callback_url = "cb.example.com";
  create(spec);
  store->append_events({task::task_start_event(spec, "x", kNow)});
  auto other = backend->open("node-b");
  ASSERT_EQ(store->due_events(kNow, 10).size(), 1u);
  EXPECT_TRUE(other->due_events(kNow, 10).empty());
  // node-a never reports back (it died): the claim runs out and node-b sends it.
  auto later = other->due_events(kNow + 120, 10);
  ASSERT_EQ(later.size(), 1u);
  other->mark_event_delivered(later[0].event.event_id);
  EXPECT_TRUE(store->due_events(kNow + 300, 10).empty());
}

TEST_P(StoreTest, NodesOfOtherRegionsDoNotShrinkANodesShare) {
  if (!store->is_shared()) GTEST_SKIP() << "a single-node store runs every task itself";
  for (int i = 0; i < 10; ++i) create(spec_of("eu" + std::to_string(i), "p1", "eu"));
  auto us = backend->open("node-us");
  EXPECT_TRUE(us->acquire_leases({"node-us", {"us"}, 1000}, kNowMs, kTtlMs).empty());
  EXPECT_EQ(store->acquire_leases({"node-eu", {"eu"}, 1000}, kNowMs, kTtlMs).size(), 10u);
}

TEST_P(StoreTest, ALeaseGivenBackLeavesTheRuntimeIdle) {
  if (!store->is_shared()) GTEST_SKIP() << "a single-node store runs every task itself";
  create(spec_of("a"));
  int64_t epoch = lease_of("a");
  task::TaskRuntime runtime;
  runtime.relay_state = task::RelayState::flowing;
  runtime.bitrate_kbps = 900;
  store->save_runtimes({{"a", runtime, epoch}});
  auto record = store->find_task("p1", "a");
  task::TaskSpec paused = record->spec;
  paused.is_paused = true;
  ASSERT_TRUE(store->update_task(paused, record->revision, false, "a", kNow, {}).ok());
  EXPECT_TRUE(store->acquire_leases({"node-a", {}, 1000}, kNowMs + 1000, kTtlMs).empty());
  auto stored = store->stored_runtime("a");
  EXPECT_EQ(stored->relay_state, task::RelayState::idle);
  EXPECT_EQ(stored->bitrate_kbps, 0);
}

// A database written by a version before retention and block counts (schema 2, no auto-vacuum)
// is converted on open: its tasks kept and counted, the new schema applied, and its file able to
// give pages back.
TEST(SqliteUpgrade, ADatabaseOfSchemaTwoIsMigratedAndTurnedToIncrementalVacuum) {
  test_support::TempDir dir;
  std::string path = dir.file("old.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    for (int i = 0; i < 2; ++i) {
      std::string migration(store::kSqliteMigrations[i]);
      ASSERT_EQ(sqlite3_exec(db, migration.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    }
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 2", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  {
    store::SqliteStore store(path);
    ASSERT_TRUE(store.create_task(spec_of("a"), "a", kNow, 0).ok());
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_exec(
        db,
        "PRAGMA auto_vacuum = NONE; VACUUM; PRAGMA user_version = 2; "
        "DROP INDEX events_by_age; DROP INDEX event_sequences_purged; "
        "ALTER TABLE event_sequences DROP COLUMN purged_at; DROP TRIGGER task_blocks_created; "
        "DROP TRIGGER task_blocks_deleted; DROP TRIGGER task_blocks_removed; "
        "DROP TABLE task_blocks; DROP TABLE task_counts; DROP INDEX tasks_active",
        nullptr, nullptr, nullptr);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA auto_vacuum", -1, &stmt, nullptr);
    sqlite3_step(stmt);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), 0) << "the old file is not made as before";
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }
  store::SqliteStore store(path);
  EXPECT_EQ(store.schema_version(), static_cast<int>(std::size(store::kSqliteMigrations)));
  EXPECT_TRUE(store.find_task("p1", "a"));
  store.purge_tasks({"a"}, kNow);  // the new column is there
  task::ListQuery query;
  EXPECT_EQ(store.list_tasks("p1", query).total, 1);  // counted by the migration
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA auto_vacuum", -1, &stmt, nullptr);
  sqlite3_step(stmt);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 2);  // incremental
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// Checkpoints run on a thread of their own: the database file takes in what the log holds while
// the store is open, without any commit running one (the automatic checkpoint is off).
TEST(SqliteCheckpoints, TheLogIsCopiedIntoTheDatabaseFileByTheStoresOwnThread) {
  test_support::TempDir dir;
  std::string path = dir.file("streamrelay.db");
  store::SqliteStore store(path);
  auto file_size = [&] { return std::filesystem::file_size(path); };
  uintmax_t before = file_size();
  std::vector<task::TaskSpec> specs;
  for (int i = 0; i < 2000; ++i) {
    task::TaskSpec spec = spec_of("t" + std::to_string(i));
    spec.destination_url += "?" + std::string(8000, 'k');  // about eight pages each
    specs.push_back(spec);
  }
  store.bulk_create_tasks(specs);  // a log of many times the 1000 pages that ask for one
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (file_size() <= before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GT(file_size(), before + 1'000'000);
}

// Writes that never pause keep a passive checkpoint from ever finding the log all copied, so the
// log would grow for as long as they last; the store makes it start over instead.
TEST(SqliteCheckpoints, GivenWritesThatNeverPause_ThenTheLogStartsOverInsteadOfGrowing) {
  test_support::TempDir dir;
  std::string path = dir.file("streamrelay.db");
  store::SqliteStore store(path, {.checkpoint_pages = 1000, .long_log_pages = 4000});
  constexpr int kWriters = 4;
  constexpr int kTasksEach = 500;
  const std::string padding(30000, 'k');  // about 23 pages a task: 46,000 (180 MB) in all
  std::atomic<bool> is_writing{true};
  uintmax_t longest_log = 0;
  std::thread watcher([&] {
    while (is_writing) {
      std::error_code ignored;
      longest_log = std::max(longest_log, std::filesystem::file_size(path + "-wal", ignored));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kTasksEach; ++i) {
        task::TaskSpec spec = spec_of("t" + std::to_string(w) + "-" + std::to_string(i));
        spec.destination_url += "?" + padding;
        store.create_task(spec, spec.destination_url, 0, 0);
      }
    });
  }
  for (auto& writer : writers) writer.join();
  is_writing = false;
  watcher.join();
  EXPECT_LT(longest_log, 64u << 20) << "the log grew to " << (longest_log >> 20) << " MB";
  EXPECT_EQ(store.list_tasks("p1", {}).total, kWriters * kTasksEach);
}

namespace {

// How SQLite plans `sql` on the store's file at `path`: the details of its query plan.
std::string query_plan(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* plan = nullptr;
  std::string detail;
  if (sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &plan, nullptr) ==
      SQLITE_OK) {
    while (sqlite3_step(plan) == SQLITE_ROW) {
      detail += reinterpret_cast<const char*>(sqlite3_column_text(plan, 3));
    }
  }
  sqlite3_finalize(plan);
  sqlite3_close(db);
  return detail;
}

}  // namespace

// A project's quota counts its active tasks from an index of those alone, not by reading every
// task the project ever had (a million finished ones took 0.3 s at each create, 3 s from disk).
TEST(SqlitePlans, TheQuotaCountsActiveTasksFromAnIndexOfThoseAlone) {
  test_support::TempDir dir;
  std::string path = dir.file("streamrelay.db");
  { store::SqliteStore store(path); }
  std::string detail = query_plan(path, std::string(store::kActiveTaskCount));
  EXPECT_NE(detail.find("COVERING INDEX tasks_active "), std::string::npos) << detail;
}

// A create's destination check reads that destination's tasks, not the project's active ones
// (2.4 s a create at a million when SQLite chose the latter).
TEST(SqlitePlans, TheDestinationCheckReadsThatDestinationsTasksAlone) {
  test_support::TempDir dir;
  std::string path = dir.file("streamrelay.db");
  {
    store::SqliteStore store(path);
    ASSERT_TRUE(store.create_task(spec_of("a"), "rtmp://x/live/a", kNow, 1000).ok());
    // The same destination in the same project is refused while the first task is active.
    EXPECT_FALSE(store.create_task(spec_of("b"), "rtmp://x/live/a", kNow, 1000).ok());
  }
  std::string detail = query_plan(path, std::string(store::kDestinationTaken));
  EXPECT_NE(detail.find("INDEX tasks_by_destination "), std::string::npos) << detail;
}
