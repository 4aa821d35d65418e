#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.h"
#include "support/temp_dir.h"

using namespace streamrelay;

namespace {

constexpr int64_t kNow = 1'800'000'000;

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

class SqliteStoreTest : public ::testing::Test {
 protected:
  test_support::TempDir dir;
  std::unique_ptr<store::SqliteStore> store = std::make_unique<store::SqliteStore>(dir.file("db"));

  void create(const task::TaskSpec& spec, const std::string& key = "") {
    ASSERT_TRUE(store->create_task(spec, key.empty() ? spec.task_id : key, kNow, 0).ok());
  }
};

}  // namespace

TEST_F(SqliteStoreTest, ACreatedTaskIsFoundInItsProjectOnly) {
  create(spec_of("t1"));
  auto found = store->find_task("p1", "t1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->spec.destination_url, "rtmp://dst/live/t1");
  EXPECT_FALSE(store->find_task("p2", "t1"));
}

TEST_F(SqliteStoreTest, ListIsNewestFirstStableAcrossPagesAndCountsAll) {
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

TEST_F(SqliteStoreTest, ListFiltersByRegionAndTaskId) {
  create(spec_of("a", "p1", "r1"));
  create(spec_of("b", "p1", "r2"));
  task::ListQuery query;
  query.region = "r2";
  EXPECT_EQ(store->list_tasks("p1", query).records.at(0).spec.task_id, "b");
  query.region.reset();
  query.task_id = "a";
  EXPECT_EQ(store->list_tasks("p1", query).total, 1);
}

TEST_F(SqliteStoreTest, TwoActiveTasksCannotShareADestination) {
  create(spec_of("a"), "rtmp://dst:1935/live/x");
  auto status = store->create_task(spec_of("b"), "rtmp://dst:1935/live/x", kNow, 0);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, task::ErrorKind::conflict);
}

TEST_F(SqliteStoreTest, AFinishedTaskFreesItsDestination) {
  create(spec_of("a"), "rtmp://dst:1935/live/x");
  auto record = store->find_task("p1", "a");
  ASSERT_TRUE(store->finish_task("a", task::FinishReason::end_time_reached, record->revision, {}));
  EXPECT_TRUE(store->create_task(spec_of("b"), "rtmp://dst:1935/live/x", kNow, 0).ok());
}

TEST_F(SqliteStoreTest, AnUpdateFromAStaleRevisionIsRefused) {
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

TEST_F(SqliteStoreTest, ChangesAreSeenInRevisionOrderDeletesIncluded) {
  create(spec_of("a"));
  create(spec_of("b"));
  auto all = store->tasks_changed_since(0);
  ASSERT_EQ(all.size(), 2u);
  int64_t seen = all.back().revision;
  ASSERT_TRUE(store->delete_task("p1", "a", {}).ok());
  auto changes = store->tasks_changed_since(seen);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].is_deleted);
  EXPECT_FALSE(store->find_task("p1", "a"));
  store->purge_task("a");
  EXPECT_TRUE(store->tasks_changed_since(0).size() == 1u);
}

TEST_F(SqliteStoreTest, RuntimeReportsAreKeptApartFromTheSpec) {
  create(spec_of("a"));
  task::TaskRuntime runtime;
  runtime.relay_state = task::RelayState::flowing;
  runtime.bytes_out = 1234;
  runtime.last_error = "x";
  store->save_runtimes({{"a", runtime}});
  auto record = store->find_task("p1", "a");
  EXPECT_EQ(record->runtime.relay_state, task::RelayState::flowing);
  EXPECT_EQ(record->runtime.bytes_out, 1234);
  EXPECT_EQ(record->revision, store->tasks_changed_since(0).at(0).revision);
}

TEST_F(SqliteStoreTest, ReopeningKeepsEverythingAndTheSchemaVersion) {
  create(spec_of("a"));
  int version = store->schema_version();
  EXPECT_GE(version, 1);
  store.reset();
  store = std::make_unique<store::SqliteStore>(dir.file("db"));
  EXPECT_EQ(store->schema_version(), version);
  EXPECT_TRUE(store->find_task("p1", "a"));
}

TEST_F(SqliteStoreTest, EventsAreNumberedPerTaskAndKeptWithTheChangeThatMadeThem) {
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

TEST_F(SqliteStoreTest, EventsOfATaskWithoutCallbackUrlAreKeptButNotDelivered) {
  create(spec_of("a"));
  store->append_events({task::task_start_event(spec_of("a"), "x", kNow)});
  EXPECT_EQ(store->task_events("a", 10).at(0).state, "skipped");
}

TEST_F(SqliteStoreTest, AProjectOverItsQuotaIsRefusedOthersAreNot) {
  ASSERT_TRUE(store->create_task(spec_of("a"), "a", kNow, 2).ok());
  ASSERT_TRUE(store->create_task(spec_of("b"), "b", kNow, 2).ok());
  auto refused = store->create_task(spec_of("c"), "c", kNow, 2);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, task::ErrorKind::rate_limited);
  EXPECT_TRUE(store->create_task(spec_of("d", "p2"), "d", kNow, 2).ok());
  ASSERT_TRUE(store->delete_task("p1", "a", {}).ok());
  EXPECT_TRUE(store->create_task(spec_of("c"), "c", kNow, 2).ok());
}
