#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "store/connection_pool.h"
#include "store/spec_codec.h"
#include "store/sqlite/group_commit.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/store.h"

namespace streamrelay::store {

// How long the write-ahead log may grow.
struct SqliteLogLimits {
  // A checkpoint is asked for each time the log has grown by this many pages (SQLite's own
  // default; 8000 measured worse: each checkpoint then holds the disk longer).
  int checkpoint_pages = 1000;
  // Writes that never pause keep the log from starting over (a passive checkpoint never finds
  // it all copied), so a log this long (64 MB) is made to, writers held for a few ms meanwhile:
  // about once a second at the highest rate of writes measured.
  int long_log_pages = 16000;
};

// The embedded store: one SQLite file in WAL mode, every write fully synced before it returns.
// Writes go through one connection, and those that arrive while another commits are committed
// together after it (one sync for the group); reads (a page, a task, the supervisor's look for
// changes) through connections of their own, which in WAL mode read beside one another and beside a
// write, so a list never waits for another request's commit. Checkpoints (the log copied into the
// database file, and synced) run on a thread of their own, so no commit waits for one either.
class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database file and applies pending migrations.
  explicit SqliteStore(const std::string& path, SqliteLogLimits log_limits = {});
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

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
  void purge_tasks(const std::vector<std::string>& task_ids, int64_t now) override;
  RetentionPass apply_retention(int64_t now, int64_t limit) override;
  std::optional<task::TaskRuntime> stored_runtime(const std::string& task_id) override;

  int schema_version() override;

  // Imports many tasks in one transaction (no destination or quota checks): for imports and
  // benchmarks.
  void bulk_create_tasks(const std::vector<task::TaskSpec>& specs);

 private:
  void migrate();
  task::Status insert_task(const task::TaskSpec& spec, const std::string& destination_key,
                           int64_t now, int64_t max_active);
  void write_runtimes(const std::vector<RuntimeUpdate>& updates);
  void remove_deleted(const std::vector<std::string>& task_ids, int64_t now);
  // Runs `write` in the writers' next group commit; it says whether its changes stay.
  void write_in_group(const std::function<bool()>& write);
  // The same for a write whose changes stay when its status is ok; that status.
  task::Status write_status_in_group(const std::function<task::Status()>& write);
  void use_incremental_vacuum();
  int64_t next_revision();
  void insert_events(const Events& events);
  bool is_destination_taken(const std::string& destination_key, const std::string& project_id,
                            const std::string& task_id, int64_t now);

  // A prepared statement of the writing connection, kept for reuse.
  Statement& prepared(const std::string& sql) { return statements_.prepared(sql); }

  struct Reader {
    explicit Reader(SqlitePtr opened) : db(std::move(opened)), statements(db.get()) {}
    SqlitePtr db;
    StatementCache statements;
  };
  std::unique_ptr<Reader> open_reader();
  // After each commit, with the pages the log holds.
  void on_commit(int log_pages);
  void request_checkpoint();
  SqlitePtr open_checkpointer();
  void run_checkpoints(const SqlitePtr& db);
  // Runs `read(statements)` in one read transaction (a consistent snapshot) on a reading
  // connection of its own.
  template <typename Read>
  auto read_snapshot(Read read);
  static constexpr size_t kMaxReaders = 4;

  std::string path_;
  SqliteLogLimits log_limits_;
  std::mutex mutex_;  // the writing connection's
  SqlitePtr db_;
  StatementCache statements_;
  GroupCommit commits_{db_.get(), mutex_};
  SpecCache specs_;
  ConnectionPool<Reader> readers_{kMaxReaders, [this] { return open_reader(); }};

  int log_pages_at_request_ = 0;  // the writer's

  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wanted_;
  bool wants_checkpoint_ = false;
  bool is_stopping_ = false;
  std::thread checkpointer_;
};

}  // namespace streamrelay::store
