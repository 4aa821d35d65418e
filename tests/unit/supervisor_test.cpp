// Scheduling as the supervisor does it, on a clock the test moves: a real task service and a real
// SQLite file, relays that only record what they were asked to do.
#include <gtest/gtest.h>

#include <system_error>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/task_service.h"
#include "control/supervisor.h"
#include "store/sqlite/sqlite_store.h"
#include "support/fake_clock.h"
#include "support/temp_dir.h"
#include "task/time_format.h"

using namespace streamrelay;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

using test_support::FakeClock;

// Hands out relays that do nothing but report what the test sets, and keeps a log of what the
// supervisor asked of them: "start <id>", "stop <id>", "pause <id>", "resume <id>".
class RecordingRelayFactory final : public control::RelayFactory {
 public:
  std::vector<std::string> log;
  media::RelaySnapshot snapshot = flowing();
  std::thread::id made_on;  // the thread that asked for the last relay

  std::unique_ptr<media::Relay> make_relay(const task::TaskRecord& record,
                                           media::RelayObserver&) override {
    made_on = std::this_thread::get_id();
    return std::make_unique<RecordedRelay>(record.spec.task_id, *this);
  }

  int64_t count(const std::string& action, const std::string& task_id) const {
    return std::count(log.begin(), log.end(), action + " " + task_id);
  }
  int64_t starts(const std::string& task_id) const { return count("start", task_id); }
  // The next starts that throw, as std::thread does when no thread can be created.
  int failing_starts = 0;
  int64_t stops(const std::string& task_id) const { return count("stop", task_id); }

 private:
  static media::RelaySnapshot flowing() {
    media::RelaySnapshot snapshot;
    snapshot.phase = media::RelayPhase::flowing;
    snapshot.bitrate_kbps = 800;
    return snapshot;
  }

  class RecordedRelay final : public media::Relay {
   public:
    RecordedRelay(std::string task_id, RecordingRelayFactory& factory)
        : task_id_(std::move(task_id)), factory_(factory) {}
    void start() override {
      note("start");
      if (factory_.failing_starts == 0) return;
      --factory_.failing_starts;
      throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again),
                              "thread");
    }
    void request_stop() override {
      note("stop");
      has_stopped_ = true;
    }
    bool has_stopped() const override { return has_stopped_; }
    bool has_failed() const override { return false; }
    media::RelaySnapshot snapshot() override { return factory_.snapshot; }
    void update_sources(const media::SourceUpdate&) override { note("update"); }
    void set_paused(bool is_paused) override { note(is_paused ? "pause" : "resume"); }
    void set_loop_limit(int64_t) override {}

   private:
    void note(const std::string& action) { factory_.log.push_back(action + " " + task_id_); }

    std::string task_id_;
    RecordingRelayFactory& factory_;
    bool has_stopped_ = false;
  };
};

// The supervisor is not started: every tick happens when the test says, on the test's thread.
class SupervisorTest : public ::testing::Test {
 protected:
  static constexpr const char* kProject = "p1";

  test_support::TempDir dir;
  store::SqliteStore store{dir.file("db")};
  FakeClock clock;
  app::TaskService service{store, clock, {"local", {}, {{"/srv/media"}, nullptr}, {false, true}}};
  RecordingRelayFactory factory;
  std::unique_ptr<control::Supervisor> supervisor = new_supervisor();
  const int64_t t0 = clock.now;

  std::unique_ptr<control::Supervisor> new_supervisor() {
    control::SupervisorSettings settings;
    settings.runtime_interval = 0ms;  // every tick writes the relays' reports
    settings.load_batch = 100;
    settings.purge_interval = 0ms;  // a deleted task goes at the tick that sees its relay stop
    return std::make_unique<control::Supervisor>(store, clock, factory, settings);
  }

  // The process stops (its relays with it) and another one starts on the same store.
  void restart_at(int64_t when) {
    supervisor.reset();
    clock.now = when;
    supervisor = new_supervisor();
    supervisor->tick_once();
  }

  // The clock reaches `when` and the supervisor looks at the store.
  void tick_at(int64_t when) {
    clock.now = when;
    supervisor->tick_once();
  }

  // Task i as stored in bulk (no request, no validation): its window opens at `start`, an hour.
  task::TaskSpec stored_task(int i, int64_t start) const {
    task::TaskSpec spec;
    spec.task_id = "t" + std::to_string(i);
    spec.project_id = kProject;
    spec.region = "local";
    spec.source_urls = {"rtmp://play.example.com/live/s" + std::to_string(i)};
    spec.destination_url = "rtmp://publish.example.com/live/d" + std::to_string(i);
    spec.start_time = start;
    spec.end_time = start + 3600;
    spec.create_time = t0;
    return spec;
  }

  static task::CreateRequest live_task(int64_t start, int64_t end) {
    task::CreateRequest request;
    request.source_type = "PullLivePushLive";
    request.source_urls = {"rtmp://play.example.com/live/s1"};
    request.destination_url = "rtmp://publish.example.com/live/out";
    request.start_time = task::format_utc(start);
    request.end_time = task::format_utc(end);
    return request;
  }

  static task::CreateRequest playlist_task(int64_t start, int64_t end) {
    task::CreateRequest request = live_task(start, end);
    request.source_type = "PullVodPushLive";
    request.source_urls = {"http://media.example.com/a.mp4", "http://media.example.com/b.mp4"};
    return request;
  }

  std::string create(const task::CreateRequest& request) {
    auto created = service.create(kProject, request);
    EXPECT_TRUE(created.ok()) << created.error().message;
    return created.ok() ? *created : "";
  }

  void modify(const std::string& task_id, const std::string& field, const std::string& value) {
    task::ModifyRequest request;
    request.task_id = task_id;
    if (field == "status") request.status = value;
    if (field == "start_time") request.start_time = value;
    if (field == "end_time") request.end_time = value;
    auto modified = service.modify(kProject, request);
    ASSERT_TRUE(modified.ok()) << field << ": " << modified.error().message;
  }

  task::TaskRecord record_of(const std::string& task_id) {
    task::ListRequest request;
    request.task_id = task_id;
    auto page = service.list(kProject, request);
    EXPECT_TRUE(page.ok() && page->records.size() == 1);
    return page.ok() && !page->records.empty() ? page->records.front() : task::TaskRecord{};
  }

  // The status a client reads now.
  task::TaskStatus status_of(const std::string& task_id) {
    return task::derive_status(record_of(task_id), clock.now);
  }

  // The reasons of the task's TaskExit events, oldest first.
  std::vector<std::string> exit_reasons(const std::string& task_id) {
    std::vector<std::string> reasons;
    for (const store::StoredEvent& stored : store.task_events(task_id, 50)) {
      if (stored.event.event_type != "TaskExit") continue;
      reasons.push_back(json::parse(stored.event.data).value("reason", ""));
    }
    return reasons;
  }

  // A task in its window with its relay started.
  std::string running_task(int64_t start, int64_t end) {
    std::string id = create(live_task(start, end));
    tick_at(start);
    EXPECT_EQ(factory.starts(id), 1);
    return id;
  }
};

}  // namespace

TEST_F(SupervisorTest, GivenAStartTimeAhead_WhenTheClockHasNotReachedIt_ThenNoRelayStarts) {
  std::string id = create(live_task(t0 + 60, t0 + 600));
  tick_at(t0);
  tick_at(t0 + 59);
  EXPECT_EQ(factory.starts(id), 0);
  EXPECT_EQ(status_of(id), task::TaskStatus::waiting);
}

// The store is read in batches: every task of a store larger than one batch is seen, the last
// one created included.
TEST_F(SupervisorTest, GivenMoreTasksThanABatch_WhenItFirstLooks_ThenItSeesEveryOne) {
  constexpr int kTasks = 301;  // the supervisor here reads 100 at a time
  std::vector<task::TaskSpec> specs;
  for (int i = 0; i < kTasks; ++i) {
    bool is_last = i == kTasks - 1;
    specs.push_back(stored_task(i, is_last ? t0 + 10 : t0 + 86400));
  }
  store.bulk_create_tasks(specs);
  tick_at(t0);
  EXPECT_EQ(supervisor->status_counts()["waiting"], kTasks);
  tick_at(t0 + 10);
  EXPECT_EQ(factory.starts("t300"), 1);
}

// The count by status is made a slice a tick on a node of many tasks; what it shows is a whole
// count, also when tasks come in the middle of one (the map of tasks grown, every task moved).
TEST_F(SupervisorTest, GivenACountMadeOverSeveralTicks_ThenItShowsEveryTaskOnceWhenItEnds) {
  control::SupervisorSettings settings;
  settings.status_count_slice = 0ms;  // a tick counts a few hundred buckets and stops
  supervisor = std::make_unique<control::Supervisor>(store, clock, factory, settings);
  auto waiting_tasks = [&](int from, int count) {
    std::vector<task::TaskSpec> specs;
    for (int i = from; i < from + count; ++i) specs.push_back(stored_task(i, t0 + 86400));
    store.bulk_create_tasks(specs);
  };
  waiting_tasks(0, 3000);
  tick_at(t0);
  tick_at(t0);
  EXPECT_TRUE(supervisor->status_counts().empty()) << "a count of 3000 ended in two slices";
  waiting_tasks(3000, 7000);  // read at the next tick, which grows the map
  int ticks = 0;
  while (supervisor->status_counts().empty() && ticks < 1000) {
    tick_at(t0);
    ++ticks;
  }
  EXPECT_GT(ticks, 1);
  EXPECT_EQ(supervisor->status_counts()["waiting"], 10000);
  EXPECT_EQ(supervisor->status_counts()["running"], 0);
}

// start() returns once the first look is done (every task read, what is due started), and that
// look is made on the supervisor's thread: what it reads must not end up in the heap the
// caller's thread goes on to serve requests from.
TEST_F(SupervisorTest,
       GivenTasksInTheStore_WhenStarted_ThenItsOwnThreadHasReadThemWhenStartReturns) {
  std::string due = create(live_task(t0 + 60, t0 + 600));
  task::CreateRequest later = live_task(t0 + 3600, t0 + 7200);
  later.destination_url = "rtmp://publish.example.com/live/later";
  create(later);
  clock.now = t0 + 60;
  supervisor->start();
  EXPECT_EQ(supervisor->known_tasks(), 2U);
  supervisor->stop();  // its thread's writes are seen from here on
  EXPECT_EQ(factory.starts(due), 1);
  EXPECT_NE(factory.made_on, std::thread::id());
  EXPECT_NE(factory.made_on, std::this_thread::get_id());
}

TEST_F(SupervisorTest, GivenAWaitingTask_WhenTheClockReachesStartTime_ThenItsRelayStarts) {
  std::string id = create(live_task(t0 + 60, t0 + 600));
  tick_at(t0);
  tick_at(t0 + 60);
  EXPECT_EQ(factory.starts(id), 1);
  EXPECT_EQ(record_of(id).runtime.relay_state, task::RelayState::flowing);
  EXPECT_EQ(status_of(id), task::TaskStatus::running);
}

TEST_F(SupervisorTest, GivenARunningTask_WhenTheClockReachesEndTime_ThenItStopsAndIsFinished) {
  std::string id = running_task(t0 + 60, t0 + 600);
  tick_at(t0 + 599);
  EXPECT_EQ(factory.stops(id), 0);
  tick_at(t0 + 600);
  EXPECT_EQ(factory.stops(id), 1);
  EXPECT_EQ(record_of(id).finish_reason, task::FinishReason::end_time_reached);
  EXPECT_EQ(status_of(id), task::TaskStatus::finished);
  EXPECT_EQ(exit_reasons(id), std::vector<std::string>{"EndTimeReached"});
  tick_at(t0 + 700);
  EXPECT_EQ(factory.starts(id), 1);
}

TEST_F(SupervisorTest, GivenAWaitingTask_WhenTheProcessRestartsBeforeStartTime_ThenItStartsOnce) {
  std::string id = create(live_task(t0 + 60, t0 + 600));
  tick_at(t0);
  restart_at(t0 + 30);
  EXPECT_EQ(factory.starts(id), 0);
  tick_at(t0 + 61);
  tick_at(t0 + 62);
  EXPECT_EQ(factory.starts(id), 1);
  EXPECT_EQ(status_of(id), task::TaskStatus::running);
}

TEST_F(SupervisorTest,
       GivenARunningTask_WhenEndTimePassesWhileTheProcessIsDown_ThenItNeverRestartsAndExits) {
  std::string id = running_task(t0, t0 + 600);
  supervisor.reset();
  EXPECT_EQ(factory.stops(id), 1);
  restart_at(t0 + 900);
  tick_at(t0 + 901);
  EXPECT_EQ(factory.starts(id), 1);  // never started again
  EXPECT_EQ(record_of(id).finish_reason, task::FinishReason::end_time_reached);
  EXPECT_EQ(status_of(id), task::TaskStatus::finished);
  EXPECT_EQ(exit_reasons(id), std::vector<std::string>{"EndTimeReached"});
}

TEST_F(SupervisorTest, GivenARunningTask_WhenEndTimeMovesEarlier_ThenItStopsAtTheNewEnd) {
  std::string id = running_task(t0, t0 + 600);
  tick_at(t0 + 100);
  modify(id, "end_time", task::format_utc(t0 + 110));
  tick_at(t0 + 100);
  tick_at(t0 + 109);
  EXPECT_EQ(factory.stops(id), 0);
  tick_at(t0 + 110);
  EXPECT_EQ(factory.stops(id), 1);
  EXPECT_EQ(record_of(id).finish_reason, task::FinishReason::end_time_reached);
  EXPECT_EQ(status_of(id), task::TaskStatus::finished);
}

TEST_F(SupervisorTest, GivenAFinishedTask_WhenEndTimeMovesLater_ThenItRunsAgain) {
  std::string id = running_task(t0, t0 + 600);
  tick_at(t0 + 600);
  ASSERT_EQ(status_of(id), task::TaskStatus::finished);
  tick_at(t0 + 650);
  modify(id, "end_time", task::format_utc(t0 + 1200));
  tick_at(t0 + 650);
  EXPECT_EQ(factory.starts(id), 2);
  EXPECT_EQ(record_of(id).finish_reason, task::FinishReason::none);
  EXPECT_EQ(status_of(id), task::TaskStatus::running);
}

TEST_F(SupervisorTest, GivenARunningTask_WhenStartTimeMovesPastNow_ThenItStopsAndWaits) {
  std::string id = running_task(t0, t0 + 600);
  tick_at(t0 + 100);
  modify(id, "start_time", task::format_utc(t0 + 300));
  tick_at(t0 + 100);
  EXPECT_EQ(factory.stops(id), 1);
  EXPECT_EQ(record_of(id).runtime.relay_state, task::RelayState::idle);
  EXPECT_EQ(status_of(id), task::TaskStatus::waiting);
}

TEST_F(SupervisorTest, GivenARunningLiveTask_WhenPaused_ThenItsRelayStopsAndItReadsPaused) {
  std::string id = running_task(t0, t0 + 600);
  modify(id, "status", "pause");
  tick_at(t0 + 10);
  EXPECT_EQ(factory.stops(id), 1);
  tick_at(t0 + 20);
  EXPECT_EQ(factory.starts(id), 1);
  EXPECT_EQ(status_of(id), task::TaskStatus::paused);
}

TEST_F(SupervisorTest, GivenAPausedLiveTask_WhenEnabled_ThenItsRelayStartsAgain) {
  std::string id = running_task(t0, t0 + 600);
  modify(id, "status", "pause");
  tick_at(t0 + 10);
  modify(id, "status", "enable");
  tick_at(t0 + 20);
  EXPECT_EQ(factory.starts(id), 2);
  EXPECT_EQ(status_of(id), task::TaskStatus::running);
}

TEST_F(SupervisorTest, GivenARunningPlaylist_WhenPausedAndEnabled_ThenItsRelayPausesNotStops) {
  std::string id = create(playlist_task(t0, t0 + 600));
  tick_at(t0);
  modify(id, "status", "pause");
  tick_at(t0 + 10);
  EXPECT_EQ(status_of(id), task::TaskStatus::paused);
  modify(id, "status", "enable");
  tick_at(t0 + 20);
  // The destination session stays: the same relay is paused and resumed.
  EXPECT_EQ(factory.log, (std::vector<std::string>{"start " + id, "pause " + id, "resume " + id}));
}

TEST_F(SupervisorTest, GivenNoThreadLeft_WhenARelayCannotStart_ThenItsTaskFailsAndIsTriedAgain) {
  std::string first = create(live_task(t0, t0 + 600));
  task::CreateRequest other = live_task(t0, t0 + 600);
  other.destination_url = "rtmp://publish.example.com/live/other";
  std::string second = create(other);
  factory.failing_starts = 1;
  tick_at(t0);
  // One of the two starts failed; the other started in the same tick.
  EXPECT_EQ(factory.starts(first), 1);
  EXPECT_EQ(factory.starts(second), 1);
  std::string failed =
      record_of(first).runtime.relay_state == task::RelayState::failing ? first : second;
  task::TaskRecord record = record_of(failed);
  EXPECT_EQ(record.runtime.relay_state, task::RelayState::failing);
  EXPECT_NE(record.runtime.last_error.find("cannot start the relay"), std::string::npos)
      << record.runtime.last_error;
  EXPECT_EQ(status_of(failed), task::TaskStatus::abnormal);
  tick_at(t0 + 1);
  EXPECT_EQ(factory.starts(failed), 1) << "tried again at once";
  tick_at(t0 + control::Supervisor::kStartRetrySeconds);
  EXPECT_EQ(factory.starts(failed), 2);
  EXPECT_EQ(record_of(failed).runtime.relay_state, task::RelayState::flowing);
}
