#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "task/error.h"
#include "task/requests.h"
#include "task/task_event.h"
#include "task/task_spec.h"

namespace streamrelay::store {

struct TaskPage {
  std::vector<task::TaskRecord> records;
  int64_t total = 0;
};

using Events = std::vector<task::TaskEvent>;

// An event as the outbox holds it.
struct StoredEvent {
  task::TaskEvent event;
  std::string state;  // pending, delivered, skipped (not subscribed / no URL), expired
  int64_t attempts = 0;
};

// One task's runtime report, as control writes it. In a cluster it is written only while the
// writer still holds the task's lease at this epoch.
struct RuntimeUpdate {
  std::string task_id;
  task::TaskRuntime runtime;
  int64_t lease_epoch = 0;
};

// A node of a cluster: who it is, what it may run.
struct NodeInfo {
  std::string node_id;
  std::vector<std::string> regions;  // empty: every region
  int64_t capacity = 1000;           // relays
};

// How much of the event history is kept once an event no longer waits for delivery (it was
// delivered, expired, or had no callback to go to).
struct Retention {
  int64_t seconds = 3 * 24 * 3600;
  int64_t events_per_task = 1000;
};

// What one retention pass removed.
struct RetentionPass {
  int64_t events = 0;
  int64_t tasks = 0;  // deleted tasks whose last rows went
};

// A task this node runs, under a lease with a fencing epoch.
struct Lease {
  std::string task_id;
  int64_t epoch = 0;
};

// The durable state of every task. Each call is one committed transaction.
class Store {
 public:
  virtual ~Store() = default;

  // Inserts a new task. A conflict when another active task (not deleted, not finished, its end
  // time still ahead of `now`) of the same project pushes to the same destination key.
  // A rate_limited error when the project already has `max_active` active tasks (0: no limit).
  virtual task::Status create_task(const task::TaskSpec& spec, const std::string& destination_key,
                                   int64_t now, int64_t max_active = 0) = 0;

  // A live (not deleted) task of the project.
  virtual std::optional<task::TaskRecord> find_task(const std::string& project_id,
                                                    const std::string& task_id) = 0;

  virtual TaskPage list_tasks(const std::string& project_id, const task::ListQuery& query) = 0;

  // Replaces the spec if the task is still at `expected_revision`; clears a finish when
  // `is_revived`. bad_state when the revision moved (the caller re-reads and retries).
  // `events` are stored in the same transaction.
  virtual task::Status update_task(const task::TaskSpec& spec, int64_t expected_revision,
                                   bool is_revived, const std::string& destination_key, int64_t now,
                                   const Events& events) = 0;

  // Marks the task deleted (control stops its relay, then purges it), with its events.
  virtual task::Status delete_task(const std::string& project_id, const std::string& task_id,
                                   const Events& events) = 0;

  // The tasks, deleted ones included, whose revision is above `revision`, in revision order: the
  // first `limit` of them (a caller reads on from the last one's revision).
  virtual std::vector<task::TaskRecord> tasks_changed_since(int64_t revision, int64_t limit) = 0;

  // Records that a task finished, if it is still at `expected_revision`, with its events.
  virtual bool finish_task(const std::string& task_id, task::FinishReason reason,
                           int64_t expected_revision, const Events& events) = 0;

  // Adds events to the outbox, numbering them per task. A task's events beyond the newest
  // `retention().events_per_task` go, unless they still wait for delivery.
  virtual void append_events(const Events& events) = 0;
  // A task's most recent events, oldest first.
  virtual std::vector<StoredEvent> task_events(const std::string& task_id, int64_t limit) = 0;

  // Pending events due by `now` that are next in line for their task (the lowest pending
  // sequence), so delivery keeps each task's order; at most `limit`.
  virtual std::vector<StoredEvent> due_events(int64_t now, int64_t limit) = 0;
  // Events waiting to be delivered (the callback backlog).
  virtual int64_t pending_event_count() = 0;
  virtual void mark_event_delivered(const std::string& event_id) = 0;
  // A failed attempt: tried again at `next_attempt_at`, or given up when `is_expired`.
  virtual void mark_event_failed(const std::string& event_id, int64_t next_attempt_at,
                                 const std::string& error, bool is_expired) = 0;

  virtual void save_runtimes(const std::vector<RuntimeUpdate>& updates) = 0;

  // Removes deleted tasks (their specs and runtimes) once their relays stopped at `now`, in one
  // transaction; their events and their numbering stay for the retention time.
  virtual void purge_tasks(const std::vector<std::string>& task_ids, int64_t now) = 0;

  // Removes at most `limit` events that no longer wait for delivery and were created more than
  // `retention().seconds` before `now`, and the numbering of tasks purged that long ago once
  // none of their events waits; gives the freed space back to the file system where the
  // engine keeps it.
  virtual RetentionPass apply_retention(int64_t now, int64_t limit) = 0;
  virtual void set_retention(const Retention& retention) { retention_ = retention; }
  const Retention& retention() const { return retention_; }

  // The task's runtime as stored (a node taking a task over resumes from its breakpoint).
  virtual std::optional<task::TaskRuntime> stored_runtime(const std::string& task_id) = 0;

  // The schema version the store is at (its migrations are applied on open).
  virtual int schema_version() = 0;

  // Cluster mode: several nodes share the store. A single-node store runs everything itself.
  virtual bool is_shared() const { return false; }
  // Heartbeats the node, renews its leases and claims tasks that should run and nobody holds
  // (or whose lease expired), up to its capacity. The leases held afterwards.
  virtual std::vector<Lease> acquire_leases(const NodeInfo& node, int64_t now_ms, int64_t ttl_ms) {
    (void)node, (void)now_ms, (void)ttl_ms;
    return {};
  }
  // Gives every lease of the node back (graceful stop): others take the tasks at once.
  virtual void release_leases(const std::string& node_id) { (void)node_id; }

 private:
  Retention retention_;  // set before the store is shared between threads
};

}  // namespace streamrelay::store
