// Writes that wait for a commit in progress commit together, and each one's outcome is its own.
#include "store/sqlite/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_handle.h"
#include "support/temp_dir.h"

using namespace streamrelay::store;
using streamrelay::test_support::TempDir;
using namespace std::chrono_literals;

namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  GroupCommitTest() {
    sqlite3* raw = nullptr;
    sqlite3_open(dir_.file("group.db").c_str(), &raw);
    db_.reset(raw);
    exec(db_.get(), "PRAGMA journal_mode=WAL");
    exec(db_.get(), "PRAGMA synchronous=OFF");  // what is tested is the grouping, not the disk
    exec(db_.get(), "PRAGMA foreign_keys=ON");
    exec(db_.get(),
         "CREATE TABLE rows (name TEXT PRIMARY KEY);"
         "CREATE TABLE owners (id INTEGER PRIMARY KEY);"
         "CREATE TABLE owned (owner INTEGER REFERENCES owners (id) DEFERRABLE INITIALLY DEFERRED)");
    sqlite3_commit_hook(
        db_.get(),
        [](void* commits) {
          ++*static_cast<std::atomic<int>*>(commits);
          return 0;
        },
        &commits_);
    group_ = std::make_unique<GroupCommit>(db_.get(), connection_mutex_);
  }

  // A write that adds the row `name` and says whether it stays.
  std::function<bool()> insert(const std::string& name, bool is_kept = true) {
    return [this, name, is_kept] {
      Statement(db_.get(), "INSERT INTO rows (name) VALUES (?)").bind(1, name).run();
      return is_kept;
    };
  }

  bool has_row(const std::string& name) {
    std::lock_guard lock(connection_mutex_);
    Statement row(db_.get(), "SELECT 1 FROM rows WHERE name = ?");
    row.bind(1, name);
    return row.step();
  }

  // Runs `write` on a thread of its own; the future holds what run() threw, if anything.
  std::future<void> start(std::function<bool()> write) {
    return std::async(std::launch::async, [this, write] { group_->run(write); });
  }

  // Starts a write that keeps its group open until `release` is set, and returns once it is in
  // it: every write started from then on waits for that group to end.
  std::future<void> start_held_group(std::shared_future<void> release) {
    auto entered = std::make_shared<std::promise<void>>();
    auto future = start([this, entered, release] {
      entered->set_value();
      release.wait();
      return insert("held")();
    });
    entered->get_future().wait();
    return future;
  }

  void wait_until_waiting(size_t writes) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (group_->waiting() < writes && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    ASSERT_EQ(group_->waiting(), writes);
  }

  TempDir dir_;
  SqlitePtr db_;
  std::mutex connection_mutex_;
  std::atomic<int> commits_{0};
  std::unique_ptr<GroupCommit> group_;
};

TEST_F(GroupCommitTest, GivenWritesThatArriveWhileAGroupCommits_WhenItEnds_ThenTheyCommitAsOne) {
  std::promise<void> release;
  auto held = start_held_group(release.get_future().share());
  std::vector<std::future<void>> writes;
  for (int i = 0; i < 3; ++i) writes.push_back(start(insert("w" + std::to_string(i))));
  wait_until_waiting(3);
  release.set_value();
  held.get();
  for (auto& write : writes) write.get();
  EXPECT_EQ(commits_, 2);  // the held group, then the three together
  EXPECT_TRUE(has_row("held"));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(has_row("w" + std::to_string(i)));
}

TEST_F(GroupCommitTest, GivenAGroup_WhenOneWriteSaysItsChangesGo_ThenOnlyItsChangesAreUndone) {
  std::promise<void> release;
  auto held = start_held_group(release.get_future().share());
  auto kept = start(insert("kept"));
  auto undone = start(insert("undone", false));
  auto also_kept = start(insert("also kept"));
  wait_until_waiting(3);
  release.set_value();
  held.get();
  kept.get();
  undone.get();
  also_kept.get();
  EXPECT_TRUE(has_row("kept"));
  EXPECT_FALSE(has_row("undone"));
  EXPECT_TRUE(has_row("also kept"));
}

TEST_F(GroupCommitTest, GivenAGroup_WhenOneWriteThrows_ThenItsCallerGetsTheErrorAndTheOthersStay) {
  std::promise<void> release;
  auto held = start_held_group(release.get_future().share());
  auto kept = start(insert("kept"));
  auto failing = start([this] {
    insert("failing")();
    throw std::runtime_error("the write failed halfway");
    return true;
  });
  wait_until_waiting(2);
  release.set_value();
  held.get();
  kept.get();
  EXPECT_THROW(failing.get(), std::runtime_error);
  EXPECT_TRUE(has_row("kept"));
  EXPECT_FALSE(has_row("failing"));
}

TEST_F(GroupCommitTest, GivenAGroup_WhenItsCommitFails_ThenEveryWriteWithChangesLearnsIt) {
  std::promise<void> release;
  auto held = start_held_group(release.get_future().share());
  auto innocent = start(insert("innocent"));
  auto unchanged = start(insert("unchanged", false));
  auto breaking = start([this] {
    // A deferred foreign key is checked at COMMIT: the whole group's commit fails.
    exec(db_.get(), "INSERT INTO owned (owner) VALUES (42)");
    return true;
  });
  wait_until_waiting(3);
  release.set_value();
  held.get();
  EXPECT_THROW(innocent.get(), StoreError);
  EXPECT_THROW(breaking.get(), StoreError);
  EXPECT_NO_THROW(unchanged.get());  // it had nothing to lose
  EXPECT_FALSE(has_row("innocent"));
  // The connection is usable again: the next write commits.
  start(insert("after")).get();
  EXPECT_TRUE(has_row("after"));
}

TEST_F(GroupCommitTest, GivenManyWritersAtOnce_ThenEveryWriteIsCommittedOnce) {
  constexpr int kThreads = 8;
  constexpr int kWritesEach = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kWritesEach; ++i) {
        group_->run(insert(std::to_string(t) + "-" + std::to_string(i)));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::lock_guard lock(connection_mutex_);
  Statement count(db_.get(), "SELECT COUNT(*) FROM rows");
  count.step();
  EXPECT_EQ(count.integer(0), kThreads * kWritesEach);
}

}  // namespace
