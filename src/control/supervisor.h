#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "control/lease_keeper.h"
#include "control/relay_factory.h"
#include "media/relay/relay_events.h"
#include "store/store.h"
#include "task/change_listener.h"
#include "task/clock.h"

namespace streamrelay::control {

struct SupervisorSettings {
  // How often the supervisor looks at the store when nothing wakes it.
  std::chrono::milliseconds poll_interval{200};
  // How often relays' runtime reports (and playlist breakpoints) are written to the store.
  std::chrono::milliseconds runtime_interval{500};
  // A relay that has moved nothing this long after it started reads abnormal, not running
  // (the server sets it to the open timeout plus the stall threshold).
  std::chrono::milliseconds start_grace{7000};
  // Cluster mode (a shared store): this node, how long its leases last and how often it renews
  // them and claims tasks nobody runs.
  store::NodeInfo node;
  std::chrono::milliseconds lease_ttl{10000};
  std::chrono::milliseconds lease_interval{1000};
  // How often events past the store's retention, and deleted tasks' last rows, are removed.
  std::chrono::milliseconds retention_interval{60000};
  // How many changed tasks one look at the store reads at most: the first look at a store of a
  // million tasks is no one query that reads them all (which a shared store's statement timeout
  // would end, again and again).
  int64_t load_batch = 5000;
  // How often deleted tasks (their relays stopped) are removed from the store, up to 64 in one
  // write.
  std::chrono::milliseconds purge_interval{50};
  // How long a tick spends counting tasks by status at most (a count of a million takes about
  // 100 ms: taken at once, a core went from the requests); a count goes on over several ticks.
  std::chrono::milliseconds status_count_slice{2};
};

// Decides which tasks run: starts a relay when a task's window opens, stops it at its end or on
// delete, pauses it, hands it new sources, records its events in the outbox and writes its
// runtime report (with a playlist's breakpoint) to the store. On a shared store it runs only the
// tasks it holds a lease on, and stops a relay the moment its lease is lost.
class Supervisor final : public task::ChangeListener, public media::RelayObserver {
 public:
  // A relay that could not start (the memory budget spent, no memory left) is tried again this
  // much later.
  static constexpr int64_t kStartRetrySeconds = 5;

  Supervisor(store::Store& store, const task::Clock& clock, RelayFactory& factory,
             SupervisorSettings settings = {});
  ~Supervisor() override;

  void start();
  // One look at the store on the caller's thread, for a supervisor that is not started: a test
  // moves its clock and ticks, and sees what a tick does without waiting for a thread.
  void tick_once() { tick_guarded(); }
  // Stops every relay (tasks stay as they are, to run again at the next start) and the thread.
  void stop();

  void on_tasks_changed() override;
  void on_relay_event(const std::string& task_id, const media::RelayEvent& event) override;

  size_t running_relays() const { return running_relays_; }
  // Tasks read from the store so far (deleted ones until they are purged): a node that starts on
  // a big store shows its first look's progress here.
  size_t known_tasks() const { return known_tasks_; }
  // Tasks this node holds a lease on (cluster mode).
  size_t leased_tasks() const { return leases_.count(); }
  // How many tasks are in each status ("running", "waiting", ...), as of the last count (every
  // 2 s; up to a minute apart on a node of a million tasks, counted a few milliseconds a tick):
  // every task on a single node, the tasks this node holds in a cluster.
  std::map<std::string, int64_t> status_counts();

 private:
  struct Entry {
    task::TaskRecord record;
    std::unique_ptr<media::Relay> relay;
    // The spec the relay was last given (held apart: most tasks have no relay, and a spec inline
    // would add half a kilobyte to each of a million).
    std::unique_ptr<task::TaskSpec> relayed_spec;
    bool is_relay_paused = false;
    std::chrono::steady_clock::time_point relay_started;
    int64_t wake_at = 0;            // its one entry in wake_at_ (0: none)
    bool is_purge_pending = false;  // deleted, its relay stopped: in purges_
  };

  struct PendingEvent {
    std::string task_id;
    media::RelayEvent event;
  };

  void run();
  // After the last tick: stops every relay, waits for them and writes their last reports.
  void shut_down();
  bool is_start_overdue(const Entry& entry, media::RelayPhase phase) const;
  void tick();
  void tick_guarded();
  void load_changes();
  void load_change(task::TaskRecord record);
  void on_spec_changed(Entry& entry, const task::TaskSpec& before);
  void reconcile(Entry& entry, int64_t now);
  void finish(Entry& entry, task::FinishReason reason, int64_t now);
  void start_relay(Entry& entry);
  void stop_relay(Entry& entry);
  void update_relay(Entry& entry);
  void reap_stopped_relays();
  void mark_dirty(const Entry& entry);
  // When an entry without a relay needs looking at again (its start or its end).
  void schedule(Entry& entry, int64_t now);
  // Looks at the task again at `when` (unix seconds), unless it is to be looked at sooner.
  void wake_later(Entry& entry, int64_t when);
  void forget_wake(Entry& entry);
  void record_relay_events(int64_t now);
  void write_runtimes(int64_t now);
  void count_statuses(int64_t now);
  void apply_retention(int64_t now);
  void purge_deleted(int64_t now);
  // Cluster mode: renews this node's leases and claims tasks; `is_urgent` skips the interval.
  void renew_leases(bool is_urgent);
  void give_up_leases(const std::string& reason);
  void on_tick_failed(const std::string& error);
  bool is_owned(const std::string& task_id) const {
    return !is_clustered_ || leases_.holds(task_id);
  }

  store::Store& store_;
  const task::Clock& clock_;
  RelayFactory& factory_;
  SupervisorSettings settings_;

  std::unordered_map<std::string, Entry> entries_;
  // Only these are looked at on a tick, so a node with many stored tasks does not walk them all:
  // tasks that changed, tasks with a relay, and tasks whose start or end has come.
  std::unordered_set<std::string> due_;
  std::unordered_set<std::string> relayed_;
  std::unordered_set<std::string> dirty_;
  // When each task is next looked at, by time: found again by (time, id), however many share it.
  std::set<std::pair<int64_t, std::string>> wake_at_;
  std::vector<std::unique_ptr<media::Relay>> stopping_;
  int64_t revision_ = 0;
  std::chrono::steady_clock::time_point last_runtime_write_{};
  std::atomic<size_t> running_relays_{0};
  std::atomic<size_t> known_tasks_{0};
  bool has_ticked_ = false;

  bool is_clustered_ = false;
  LeaseKeeper leases_;
  // The status count in progress, made a slice at a time (by buckets of entries_).
  struct StatusWalk {
    bool is_walking = false;
    size_t bucket_count = 0;
    size_t next_bucket = 0;
    std::chrono::steady_clock::duration spent{};  // in the slices so far
    std::array<int64_t, static_cast<size_t>(task::TaskStatus::finished) + 1> counts{};
  };
  StatusWalk walk_;
  std::chrono::steady_clock::time_point last_status_count_{};
  std::chrono::steady_clock::duration status_count_interval_{};
  std::chrono::steady_clock::time_point last_retention_{};
  // Deleted tasks whose relays stopped, removed from the store a few in one write, at most every
  // purge_interval: a burst of deletes costs the store a write per batch, not one each.
  std::vector<std::string> purges_;
  std::chrono::steady_clock::time_point last_purge_{};
  std::chrono::steady_clock::time_point last_trim_{};
  bool has_freed_relays_ = false;
  std::chrono::steady_clock::time_point last_failure_log_{};
  int64_t failed_ticks_ = 0;
  std::mutex counts_mutex_;
  std::map<std::string, int64_t> status_counts_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool has_changes_ = false;
  bool has_started_ = false;  // the first tick is done
  bool stop_requested_ = false;
  std::vector<PendingEvent> pending_events_;
  std::thread thread_;
};

}  // namespace streamrelay::control
