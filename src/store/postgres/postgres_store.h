#pragma once

#include <mutex>
#include <string>

#include "store/connection_pool.h"
#include "store/postgres/pg_connection.h"
#include "store/spec_codec.h"
#include "store/store.h"

namespace streamrelay::store {

// The shared store of a cluster: PostgreSQL through libpq. Tasks are run under leases with a
// fencing epoch; callback events are claimed by one node at a time. The API's reads (a page, a
// task, the supervisor's look for changes) go through connections of their own, beside the node's
// writes.
class PostgresStore final : public Store {
 public:
  // `node_id` claims callback events for this node's dispatcher.
  PostgresStore(const std::string& conninfo, std::string node_id);

  task::Status create_task(const task::TaskSpec& spec, const std::string& destination_key,
                           int64_t now, int64_t max_active) override;
  std::optional<task::TaskRecord> find_task(const std::string& project_id,
                                            const std::string& task_id) override;
  TaskPage list_tasks(const std::string& project_id, const task::ListQuery& query) override;
  task::Status update_task(const task::TaskSpec& spec, int64_t expected_revision, bool is_revived,
                           const std::string& destination_key, int64_t now,
                           const Events& events) override;
  task::Status delete_task(const std::string& project_id, const std::string& task_id,
                           const Events& events) override;
  std::vector<task::TaskRecord> tasks_changed_since(int64_t revision, int64_t limit) override;
  bool finish_task(const std::string& task_id, task::FinishReason reason, int64_t expected_revision,
                   const Events& events) override;
  void append_events(const Events& events) override;
  std::vector<StoredEvent> task_events(const std::string& task_id, int64_t limit) override;
  std::vector<StoredEvent> due_events(int64_t now, int64_t limit) override;
  int64_t pending_event_count() override;
  void mark_event_delivered(const std::string& event_id) override;
  void mark_event_failed(const std::string& event_id, int64_t next_attempt_at,
                         const std::string& error, bool is_expired) override;
  void save_runtimes(const std::vector<RuntimeUpdate>& updates) override;
  // Imports many tasks, 500 to a transaction (no destination or quota checks): for imports and
  // benchmarks.
  void bulk_create_tasks(const std::vector<task::TaskSpec>& specs);
  void purge_tasks(const std::vector<std::string>& task_ids, int64_t now) override;
  RetentionPass apply_retention(int64_t now, int64_t limit) override;
  std::optional<task::TaskRuntime> stored_runtime(const std::string& task_id) override;

  int schema_version() override;
  bool is_shared() const override { return true; }
  // Connections for reads (pages, tasks, the supervisor's look for changes).
  static constexpr size_t kMaxReaders = 8;
  std::vector<Lease> acquire_leases(const NodeInfo& node, int64_t now_ms, int64_t ttl_ms) override;
  void release_leases(const std::string& node_id) override;

  // Drops every table (tests only).
  void drop_everything();

 private:
  void migrate();
  int64_t next_revision();
  bool is_destination_taken(const std::string& destination_key, const std::string& project_id,
                            const std::string& task_id, int64_t now);
  void insert_events(const Events& events);

  std::string conninfo_;
  std::string node_id_;
  std::mutex mutex_;
  PgConnection db_;
  SpecCache specs_;
  ConnectionPool<PgConnection> readers_{
      kMaxReaders, [this] { return std::make_unique<PgConnection>(conninfo_); }};
};

}  // namespace streamrelay::store
