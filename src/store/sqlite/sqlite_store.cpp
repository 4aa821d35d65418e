#include "store/sqlite/sqlite_store.h"

#include "store/page_finder.h"
#include "store/spec_codec.h"
#include "store/sqlite/sqlite_schema.h"

namespace streamrelay::store {
namespace {

constexpr std::string_view kRecordColumns =
    "t.spec, t.seq, t.revision, t.is_deleted, t.finish_reason, r.relay_state, r.source, "
    "r.source_url, r.file_index, r.file_offset_seconds, r.looped_times, r.started_at, "
    "r.last_error, r.bytes_in, r.bytes_out, r.bitrate_kbps, r.reconnects, r.updated_at "
    "FROM tasks t LEFT JOIN task_runtime r ON r.task_id = t.task_id ";

task::TaskRecord read_record(const Statement& row, SpecCache& specs) {
  task::TaskRecord record;
  record.seq = row.integer(1);
  record.revision = row.integer(2);
  record.spec = specs.decode(row.text(0), record.seq, record.revision);
  record.is_deleted = row.integer(3) != 0;
  record.finish_reason = task::parse_finish_reason(row.text(4));
  task::TaskRuntime& runtime = record.runtime;
  runtime.relay_state = task::parse_relay_state(row.text(5));
  std::string source = row.text(6);
  if (!source.empty()) runtime.source = source;
  runtime.source_url = row.text(7);
  runtime.file_index = row.integer(8);
  runtime.file_offset_seconds = row.real(9);
  runtime.looped_times = row.integer(10);
  runtime.started_at = row.integer(11);
  runtime.last_error = row.text(12);
  runtime.bytes_in = row.integer(13);
  runtime.bytes_out = row.integer(14);
  runtime.bitrate_kbps = row.integer(15);
  runtime.reconnects = row.integer(16);
  runtime.updated_at = row.integer(17);
  return record;
}

SqlitePtr open_connection(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | flags,
                           nullptr);
  SqlitePtr db(raw);
  if (rc != SQLITE_OK) {
    throw StoreError("open " + path + ": " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

// A page of a project's tasks, newest first: the total and the block that holds the page's first
// task from the counts the triggers keep, so no request reads and discards `offset` rows.
TaskPage read_page(StatementCache& statements, SpecCache& specs, const std::string& project_id,
                   const task::ListQuery& query) {
  std::string filter = "WHERE t.project_id = ?1 AND t.is_deleted = 0 ";
  if (query.region) filter += "AND t.region = ?2 ";
  TaskPage page;
  if (query.task_id) {
    Statement& row = statements.prepared("SELECT " + std::string(kRecordColumns) + filter +
                                         "AND t.task_id = ?3");
    row.bind(1, project_id);
    if (query.region) row.bind(2, *query.region);
    row.bind(3, *query.task_id);
    bool is_found = row.step();
    if (is_found && query.offset == 0) page.records.push_back(read_record(row, specs));
    page.total = is_found ? 1 : 0;
    row.reset();
    return page;
  }
  std::string region = query.region.value_or("");
  Statement& count =
      statements.prepared("SELECT live FROM task_counts WHERE project_id = ? AND region = ?");
  count.bind(1, project_id).bind(2, region);
  page.total = count.step() ? count.integer(0) : 0;
  count.reset();
  PageFinder finder(page.total, query.offset);
  if (finder.is_past_the_end()) return page;
  Statement& blocks = statements.prepared(
      finder.reads_newest_first()
          ? "SELECT block, live FROM task_blocks WHERE project_id = ? AND region = ? "
            "ORDER BY block DESC"
          : "SELECT block, live FROM task_blocks WHERE project_id = ? AND region = ? "
            "ORDER BY block");
  blocks.bind(1, project_id).bind(2, region);
  bool is_found = false;
  while (!is_found && blocks.step()) is_found = finder.add(blocks.integer(0), blocks.integer(1));
  blocks.reset();
  if (!is_found)
    return page;  // the counts disagree with themselves: no page rather than a wrong one
  // The page's first task from the index alone (skipping rows of the whole record, its spec and
  // runtime, costs a millisecond a block), then the page's records from there.
  bool from_newest = finder.seeks_from_newest();
  Statement& first =
      statements.prepared("SELECT t.seq FROM tasks t " + filter +
                          (from_newest ? "AND t.seq < ?3 ORDER BY t.seq DESC LIMIT 1 OFFSET ?4"
                                       : "AND t.seq >= ?3 ORDER BY t.seq LIMIT 1 OFFSET ?4"));
  first.bind(1, project_id);
  if (query.region) first.bind(2, *query.region);
  first.bind(3, from_newest ? finder.newest_bound() : finder.oldest_bound())
      .bind(4, from_newest ? finder.skipped() : finder.older());
  bool has_first = first.step();
  int64_t first_seq = has_first ? first.integer(0) : 0;
  first.reset();
  if (!has_first) return page;
  Statement& rows = statements.prepared("SELECT " + std::string(kRecordColumns) + filter +
                                        "AND t.seq <= ?3 ORDER BY t.seq DESC LIMIT ?4");
  rows.bind(1, project_id);
  if (query.region) rows.bind(2, *query.region);
  rows.bind(3, first_seq).bind(4, query.limit);
  while (rows.step()) page.records.push_back(read_record(rows, specs));
  rows.reset();
  return page;
}

task::Error conflict() {
  return {task::ErrorKind::conflict, "destination is already used by another active task"};
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path, SqliteLogLimits log_limits)
    : path_(path),
      log_limits_(log_limits),
      db_(open_connection(path, SQLITE_OPEN_CREATE)),
      statements_(db_.get()) {
  use_incremental_vacuum();
  exec(db_.get(), "PRAGMA journal_mode=WAL");
  exec(db_.get(), "PRAGMA synchronous=FULL");
  exec(db_.get(), "PRAGMA cache_size=-65536");
  exec(db_.get(), "PRAGMA temp_store=MEMORY");
  // The write-ahead log is truncated back to this size when it starts over: room for a long log
  // (4,120 bytes a page) and what comes in while it is copied, so that the file is written over
  // in place rather than grown again (its new blocks zeroed) each time.
  constexpr int64_t kLogBytesPerPage = 5000;
  exec(db_.get(), "PRAGMA journal_size_limit=" +
                      std::to_string(log_limits_.long_log_pages * kLogBytesPerPage));
  migrate();
  // This hook takes the place of SQLite's automatic checkpoint, which runs inside a commit.
  sqlite3_wal_hook(
      db_.get(),
      [](void* self, sqlite3*, const char*, int pages) {
        static_cast<SqliteStore*>(self)->on_commit(pages);
        return SQLITE_OK;
      },
      this);
  readers_.open_all();
  checkpointer_ = std::thread([this, db = open_checkpointer()] { run_checkpoints(db); });
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(checkpoint_mutex_);
    is_stopping_ = true;
  }
  checkpoint_wanted_.notify_one();
  checkpointer_.join();
}

void SqliteStore::on_commit(int log_pages) {
  // A log that stays long (a checkpoint cannot start it over while writes keep coming) asks
  // again only once it has grown by as much: one sync of the database file per checkpoint_pages.
  if (log_pages < log_pages_at_request_) log_pages_at_request_ = 0;  // it started over
  if (log_pages - log_pages_at_request_ < log_limits_.checkpoint_pages) return;
  log_pages_at_request_ = log_pages;
  request_checkpoint();
}

void SqliteStore::request_checkpoint() {
  {
    std::lock_guard lock(checkpoint_mutex_);
    wants_checkpoint_ = true;
  }
  checkpoint_wanted_.notify_one();
}

SqlitePtr SqliteStore::open_checkpointer() {
  SqlitePtr db = open_connection(path_, 0);
  // A connection learns that the file is in WAL mode from its first read.
  exec(db.get(), "SELECT count(*) FROM sqlite_master");
  return db;
}

void SqliteStore::run_checkpoints(const SqlitePtr& db) {
  for (;;) {
    {
      std::unique_lock lock(checkpoint_mutex_);
      checkpoint_wanted_.wait(lock, [this] { return wants_checkpoint_ || is_stopping_; });
      if (is_stopping_) return;
      wants_checkpoint_ = false;
    }
    // Passive: it copies what no reader still needs and never blocks a writer; whatever it
    // leaves (or a failure) is taken at the next request.
    int logged = 0;
    sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &logged, nullptr);
    if (logged >= log_limits_.long_log_pages) {
      // With nearly all of it copied now, writers wait while the rest is and it starts over.
      std::lock_guard writer(mutex_);
      sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr);
    }
  }
}

void SqliteStore::use_incremental_vacuum() {
  Statement mode(db_.get(), "PRAGMA auto_vacuum");
  mode.step();
  if (mode.integer(0) == 2) return;  // incremental already
  mode.reset();
  // A new file takes the mode at once; an older one is rebuilt once by VACUUM to take it.
  exec(db_.get(), "PRAGMA auto_vacuum=INCREMENTAL");
  exec(db_.get(), "VACUUM");
}

int SqliteStore::schema_version() {
  std::lock_guard lock(mutex_);
  Statement stmt(db_.get(), "PRAGMA user_version");
  stmt.step();
  return static_cast<int>(stmt.integer(0));
}

void SqliteStore::migrate() {
  Statement version_stmt(db_.get(), "PRAGMA user_version");
  version_stmt.step();
  int version = static_cast<int>(version_stmt.integer(0));
  int target = static_cast<int>(std::size(kSqliteMigrations));
  if (version > target) {
    throw StoreError("database schema version " + std::to_string(version) +
                     " is newer than this build supports (" + std::to_string(target) + ")");
  }
  for (int i = version; i < target; ++i) {
    Transaction tx(db_.get());
    exec(db_.get(), kSqliteMigrations[i]);
    exec(db_.get(), "PRAGMA user_version = " + std::to_string(i + 1));
    tx.commit();
  }
}

int64_t SqliteStore::next_revision() {
  Statement& stmt =
      prepared("UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value");
  if (!stmt.step()) throw StoreError("revision counter missing");
  int64_t revision = stmt.integer(0);
  stmt.reset();  // done, so the transaction can commit
  return revision;
}

bool SqliteStore::is_destination_taken(const std::string& destination_key,
                                       const std::string& project_id, const std::string& task_id,
                                       int64_t now) {
  Statement& stmt = prepared(std::string(kDestinationTaken));
  stmt.bind(1, destination_key).bind(2, project_id).bind(3, task_id).bind(4, now);
  bool is_taken = stmt.step();
  stmt.reset();
  return is_taken;
}

task::Status SqliteStore::create_task(const task::TaskSpec& spec,
                                      const std::string& destination_key, int64_t now,
                                      int64_t max_active) {
  return write_status_in_group([&] { return insert_task(spec, destination_key, now, max_active); });
}

task::Status SqliteStore::insert_task(const task::TaskSpec& spec,
                                      const std::string& destination_key, int64_t now,
                                      int64_t max_active) {
  if (max_active > 0) {
    Statement& count = prepared(std::string(kActiveTaskCount));
    count.bind(1, spec.project_id).bind(2, now).step();
    int64_t active = count.integer(0);
    count.reset();
    if (active >= max_active) {
      return task::Error{task::ErrorKind::quota_exceeded,
                         "task quota exceeded: project " + spec.project_id + " already has " +
                             std::to_string(max_active) + " active tasks"};
    }
  }
  if (is_destination_taken(destination_key, spec.project_id, spec.task_id, now)) return conflict();
  Statement& insert = prepared(
      "INSERT INTO tasks (task_id, project_id, region, destination_key, end_time, spec, "
      "revision) VALUES (?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, spec.task_id)
      .bind(2, spec.project_id)
      .bind(3, spec.region)
      .bind(4, destination_key)
      .bind(5, spec.end_time)
      .bind(6, encode_spec(spec))
      .bind(7, next_revision())
      .run();
  prepared("INSERT INTO task_runtime (task_id) VALUES (?)").bind(1, spec.task_id).run();
  return task::ok_status();
}

void SqliteStore::bulk_create_tasks(const std::vector<task::TaskSpec>& specs) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_.get());
  Statement insert(db_.get(),
                   "INSERT INTO tasks (task_id, project_id, region, destination_key, end_time, "
                   "spec, revision) VALUES (?, ?, ?, ?, ?, ?, ?)");
  Statement runtime(db_.get(), "INSERT INTO task_runtime (task_id) VALUES (?)");
  for (const task::TaskSpec& spec : specs) {
    insert.bind(1, spec.task_id)
        .bind(2, spec.project_id)
        .bind(3, spec.region)
        .bind(4, task::destination_of(spec))
        .bind(5, spec.end_time)
        .bind(6, encode_spec(spec))
        .bind(7, next_revision())
        .run();
    insert.reset();
    runtime.bind(1, spec.task_id).run();
    runtime.reset();
  }
  tx.commit();
}

task::Status SqliteStore::write_status_in_group(const std::function<task::Status()>& write) {
  task::Status status = task::ok_status();
  write_in_group([&] {
    status = write();
    return status.ok();
  });
  return status;
}

void SqliteStore::write_in_group(const std::function<bool()>& write) {
  commits_.run([&] {
    try {
      return write();
    } catch (...) {
      statements_.reset_all();  // none left in a step the rollback would trip over
      throw;
    }
  });
}

std::unique_ptr<SqliteStore::Reader> SqliteStore::open_reader() {
  SqlitePtr db = open_connection(path_, 0);
  exec(db.get(), "PRAGMA query_only=1");
  return std::make_unique<Reader>(std::move(db));
}

template <typename Read>
auto SqliteStore::read_snapshot(Read read) {
  auto reader = readers_.borrow();
  exec(reader->db.get(), "BEGIN");
  struct End {
    Reader& reader;
    ~End() {
      reader.statements.reset_all();  // none left reading, even after a failed step
      sqlite3_exec(reader.db.get(), "COMMIT", nullptr, nullptr, nullptr);
    }
  } end{*reader};
  return read(reader->statements);
}

std::optional<task::TaskRecord> SqliteStore::find_task(const std::string& project_id,
                                                       const std::string& task_id) {
  return read_snapshot([&](StatementCache& statements) {
    Statement& stmt =
        statements.prepared("SELECT " + std::string(kRecordColumns) +
                            "WHERE t.task_id = ? AND t.project_id = ? AND t.is_deleted = 0");
    stmt.bind(1, task_id).bind(2, project_id);
    std::optional<task::TaskRecord> record;
    if (stmt.step()) record = read_record(stmt, specs_);
    stmt.reset();
    return record;
  });
}

TaskPage SqliteStore::list_tasks(const std::string& project_id, const task::ListQuery& query) {
  return read_snapshot(
      [&](StatementCache& statements) { return read_page(statements, specs_, project_id, query); });
}

void SqliteStore::insert_events(const Events& events) {
  if (events.empty()) return;
  Statement& sequence = prepared(
      "INSERT INTO event_sequences (task_id, last) VALUES (?, 1) "
      "ON CONFLICT (task_id) DO UPDATE SET last = last + 1 RETURNING last");
  Statement& insert = prepared(
      "INSERT INTO events (event_id, task_id, project_id, source_type, event_type, "
      "sequence, created_at, data, callback_url, state) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  Statement& trim =
      prepared("DELETE FROM events WHERE task_id = ? AND sequence <= ? AND state != 'pending'");
  for (const task::TaskEvent& event : events) {
    sequence.bind(1, event.task_id);
    sequence.step();
    int64_t number = sequence.integer(0);
    sequence.reset();
    if (number > retention().events_per_task) {
      trim.bind(1, event.task_id).bind(2, number - retention().events_per_task).run();
      trim.reset();
    }
    insert.bind(1, event.event_id)
        .bind(2, event.task_id)
        .bind(3, event.project_id)
        .bind(4, task::to_string(event.source_type))
        .bind(5, event.event_type)
        .bind(6, number)
        .bind(7, event.timestamp)
        .bind(8, event.data)
        .bind(9, event.callback_url)
        .bind(10, std::string_view(event.callback_url.empty() ? "skipped" : "pending"))
        .run();
    insert.reset();
  }
}

void SqliteStore::append_events(const Events& events) {
  if (events.empty()) return;
  write_in_group([&] {
    insert_events(events);
    return true;
  });
}

namespace {

constexpr std::string_view kEventColumns =
    "event_id, task_id, project_id, source_type, event_type, sequence, created_at, data, "
    "callback_url, state, attempts";

std::vector<StoredEvent> read_events(Statement& stmt) {
  std::vector<StoredEvent> events;
  while (stmt.step()) {
    StoredEvent stored;
    task::TaskEvent& event = stored.event;
    event.event_id = stmt.text(0);
    event.task_id = stmt.text(1);
    event.project_id = stmt.text(2);
    event.source_type = task::parse_source_type(stmt.text(3)).value_or(task::SourceType::live);
    event.event_type = stmt.text(4);
    event.sequence = stmt.integer(5);
    event.timestamp = stmt.integer(6);
    event.data = stmt.text(7);
    event.callback_url = stmt.text(8);
    stored.state = stmt.text(9);
    stored.attempts = stmt.integer(10);
    events.push_back(std::move(stored));
  }
  return events;
}

}  // namespace

std::vector<StoredEvent> SqliteStore::task_events(const std::string& task_id, int64_t limit) {
  std::lock_guard lock(mutex_);
  Statement stmt(db_.get(), "SELECT " + std::string(kEventColumns) +
                                " FROM (SELECT * FROM events WHERE task_id = ? ORDER BY sequence "
                                "DESC LIMIT ?) ORDER BY sequence");
  stmt.bind(1, task_id).bind(2, limit);
  return read_events(stmt);
}

std::vector<StoredEvent> SqliteStore::due_events(int64_t now, int64_t limit) {
  std::lock_guard lock(mutex_);
  Statement stmt(db_.get(),
                 "SELECT " + std::string(kEventColumns) +
                     " FROM events e WHERE e.state = 'pending' AND e.next_attempt_at <= ? AND "
                     "e.sequence = (SELECT MIN(p.sequence) FROM events p WHERE p.task_id = "
                     "e.task_id AND p.state = 'pending') ORDER BY e.id LIMIT ?");
  stmt.bind(1, now).bind(2, limit);
  return read_events(stmt);
}

int64_t SqliteStore::pending_event_count() {
  std::lock_guard lock(mutex_);
  Statement count(db_.get(), "SELECT COUNT(*) FROM events WHERE state = 'pending'");
  count.step();
  return count.integer(0);
}

void SqliteStore::mark_event_delivered(const std::string& event_id) {
  write_in_group([&] {
    prepared("UPDATE events SET state = 'delivered', attempts = attempts + 1 WHERE event_id = ?")
        .bind(1, event_id)
        .run();
    return true;
  });
}

void SqliteStore::mark_event_failed(const std::string& event_id, int64_t next_attempt_at,
                                    const std::string& error, bool is_expired) {
  write_in_group([&] {
    prepared(
        "UPDATE events SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, "
        "state = CASE WHEN ? THEN 'expired' ELSE state END WHERE event_id = ?")
        .bind(1, next_attempt_at)
        .bind(2, error)
        .bind(3, int64_t{is_expired ? 1 : 0})
        .bind(4, event_id)
        .run();
    return true;
  });
}

task::Status SqliteStore::update_task(const task::TaskSpec& spec, int64_t expected_revision,
                                      bool is_revived, const std::string& destination_key,
                                      int64_t now, const Events& events) {
  return write_status_in_group([&]() -> task::Status {
    if (is_revived && is_destination_taken(destination_key, spec.project_id, spec.task_id, now)) {
      return conflict();
    }
    prepared(
        "UPDATE tasks SET spec = ?, end_time = ?, revision = ?, finish_reason = "
        "CASE WHEN ? THEN '' ELSE finish_reason END "
        "WHERE task_id = ? AND revision = ? AND is_deleted = 0")
        .bind(1, encode_spec(spec))
        .bind(2, spec.end_time)
        .bind(3, next_revision())
        .bind(4, int64_t{is_revived ? 1 : 0})
        .bind(5, spec.task_id)
        .bind(6, expected_revision)
        .run();
    if (sqlite3_changes(db_.get()) == 0) {
      return task::Error{task::ErrorKind::bad_state, "task changed concurrently"};
    }
    insert_events(events);
    return task::ok_status();
  });
}

task::Status SqliteStore::delete_task(const std::string& project_id, const std::string& task_id,
                                      const Events& events) {
  return write_status_in_group([&]() -> task::Status {
    prepared(
        "UPDATE tasks SET is_deleted = 1, revision = ? "
        "WHERE task_id = ? AND project_id = ? AND is_deleted = 0")
        .bind(1, next_revision())
        .bind(2, task_id)
        .bind(3, project_id)
        .run();
    if (sqlite3_changes(db_.get()) == 0) {
      return task::Error{task::ErrorKind::not_found, "task_id " + task_id + " does not exist"};
    }
    insert_events(events);
    return task::ok_status();
  });
}

std::vector<task::TaskRecord> SqliteStore::tasks_changed_since(int64_t revision, int64_t limit) {
  return read_snapshot([&](StatementCache& statements) {
    Statement& stmt = statements.prepared("SELECT " + std::string(kRecordColumns) +
                                          "WHERE t.revision > ? ORDER BY t.revision LIMIT ?");
    stmt.bind(1, revision).bind(2, limit);
    std::vector<task::TaskRecord> records;
    while (stmt.step()) records.push_back(read_record(stmt, specs_));
    stmt.reset();
    return records;
  });
}

bool SqliteStore::finish_task(const std::string& task_id, task::FinishReason reason,
                              int64_t expected_revision, const Events& events) {
  bool is_finished = false;
  write_in_group([&] {
    prepared(
        "UPDATE tasks SET finish_reason = ?, revision = ? "
        "WHERE task_id = ? AND revision = ? AND is_deleted = 0")
        .bind(1, task::to_string(reason))
        .bind(2, next_revision())
        .bind(3, task_id)
        .bind(4, expected_revision)
        .run();
    is_finished = sqlite3_changes(db_.get()) != 0;
    if (is_finished) insert_events(events);
    return is_finished;
  });
  return is_finished;
}

void SqliteStore::save_runtimes(const std::vector<RuntimeUpdate>& updates) {
  if (updates.empty()) return;
  write_in_group([&] {
    write_runtimes(updates);
    return true;
  });
}

void SqliteStore::write_runtimes(const std::vector<RuntimeUpdate>& updates) {
  Statement& stmt = prepared(
      "UPDATE task_runtime SET relay_state = ?, source = ?, source_url = ?, file_index = ?, "
      "file_offset_seconds = ?, looped_times = ?, started_at = ?, last_error = ?, bytes_in = ?, "
      "bytes_out = ?, bitrate_kbps = ?, reconnects = ?, updated_at = ? WHERE task_id = ?");
  for (const RuntimeUpdate& update : updates) {
    const task::TaskRuntime& r = update.runtime;
    stmt.bind(1, task::to_string(r.relay_state))
        .bind(2, r.source)
        .bind(3, r.source_url)
        .bind(4, r.file_index)
        .bind(5, r.file_offset_seconds)
        .bind(6, r.looped_times)
        .bind(7, r.started_at)
        .bind(8, r.last_error)
        .bind(9, r.bytes_in)
        .bind(10, r.bytes_out)
        .bind(11, r.bitrate_kbps)
        .bind(12, r.reconnects)
        .bind(13, r.updated_at)
        .bind(14, update.task_id)
        .run();
    stmt.reset();
  }
}

std::optional<task::TaskRuntime> SqliteStore::stored_runtime(const std::string& task_id) {
  std::lock_guard lock(mutex_);
  Statement stmt(db_.get(), "SELECT " + std::string(kRecordColumns) + "WHERE t.task_id = ?");
  stmt.bind(1, task_id);
  if (!stmt.step()) return std::nullopt;
  return read_record(stmt, specs_).runtime;
}

void SqliteStore::purge_tasks(const std::vector<std::string>& task_ids, int64_t now) {
  if (task_ids.empty()) return;
  write_in_group([&] {
    remove_deleted(task_ids, now);
    return true;
  });
}

void SqliteStore::remove_deleted(const std::vector<std::string>& task_ids, int64_t now) {
  Statement& runtime = prepared("DELETE FROM task_runtime WHERE task_id = ?");
  Statement& purged =
      prepared("DELETE FROM tasks WHERE task_id = ? AND is_deleted = 1 RETURNING seq");
  Statement& numbering = prepared(
      "INSERT INTO event_sequences (task_id, last, purged_at) VALUES (?, 0, ?) "
      "ON CONFLICT (task_id) DO UPDATE SET purged_at = excluded.purged_at");
  for (const std::string& task_id : task_ids) {
    purged.bind(1, task_id);
    bool is_purged = purged.step();  // only a deleted task is
    if (is_purged) specs_.forget(purged.integer(0));
    purged.reset();
    if (!is_purged) continue;
    runtime.bind(1, task_id).run();
    runtime.reset();
    numbering.bind(1, task_id).bind(2, now).run();
    numbering.reset();
  }
}

RetentionPass SqliteStore::apply_retention(int64_t now, int64_t limit) {
  std::lock_guard lock(mutex_);
  int64_t before = now - retention().seconds;
  RetentionPass pass;
  {
    Transaction tx(db_.get());
    Statement old(db_.get(),
                  "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < ? AND "
                  "state != 'pending' ORDER BY created_at LIMIT ?)");
    old.bind(1, before).bind(2, limit).run();
    pass.events = sqlite3_changes(db_.get());
    // Purged long enough ago, with nothing left to deliver: the rest of the task goes.
    Statement gone(db_.get(),
                   "SELECT s.task_id FROM event_sequences s WHERE s.purged_at > 0 AND "
                   "s.purged_at < ? AND NOT EXISTS (SELECT 1 FROM events e WHERE e.task_id = "
                   "s.task_id AND e.state = 'pending') LIMIT ?");
    gone.bind(1, before).bind(2, limit);
    std::vector<std::string> ids;
    while (gone.step()) ids.push_back(gone.text(0));
    Statement events(db_.get(), "DELETE FROM events WHERE task_id = ?");
    Statement numbering(db_.get(), "DELETE FROM event_sequences WHERE task_id = ?");
    for (const std::string& id : ids) {
      events.bind(1, id).run();
      pass.events += sqlite3_changes(db_.get());
      events.reset();
      numbering.bind(1, id).run();
      numbering.reset();
    }
    pass.tasks = static_cast<int64_t>(ids.size());
    tx.commit();
  }
  // The freed pages back to the file system (the database is in incremental auto-vacuum mode).
  if (pass.events > 0 || pass.tasks > 0) exec(db_.get(), "PRAGMA incremental_vacuum");
  return pass;
}

}  // namespace streamrelay::store
