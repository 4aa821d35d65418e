#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <sstream>

#include "store/page_finder.h"
#include "store/postgres/postgres_schema.h"
#include "store/store_error.h"

namespace streamrelay::store {
namespace {

constexpr std::string_view kRecordColumns =
    "t.spec, t.seq, t.revision, t.is_deleted, t.finish_reason, r.relay_state, r.source, "
    "r.source_url, r.file_index, r.file_offset_seconds, r.looped_times, r.started_at, "
    "r.last_error, r.bytes_in, r.bytes_out, r.bitrate_kbps, r.reconnects, r.updated_at "
    "FROM tasks t LEFT JOIN task_runtime r ON r.task_id = t.task_id ";

constexpr std::string_view kEventColumns =
    "event_id, task_id, project_id, source_type, event_type, sequence, created_at, data, "
    "callback_url, state, attempts";

// A claimed event that its node does not finish (it died) is offered to others after this.
constexpr int64_t kEventClaimSeconds = 30;

std::string num(int64_t value) {
  return std::to_string(value);
}
std::string flag(bool value) {
  return value ? "true" : "false";
}

task::TaskRuntime read_runtime(const PgRows& rows, int row, int first) {
  task::TaskRuntime runtime;
  if (rows.is_null(row, first)) return runtime;
  runtime.relay_state = task::parse_relay_state(rows.text(row, first));
  runtime.source = rows.text(row, first + 1);
  runtime.source_url = rows.text(row, first + 2);
  runtime.file_index = rows.integer(row, first + 3);
  runtime.file_offset_seconds = rows.real(row, first + 4);
  runtime.looped_times = rows.integer(row, first + 5);
  runtime.started_at = rows.integer(row, first + 6);
  runtime.last_error = rows.text(row, first + 7);
  runtime.bytes_in = rows.integer(row, first + 8);
  runtime.bytes_out = rows.integer(row, first + 9);
  runtime.bitrate_kbps = rows.integer(row, first + 10);
  runtime.reconnects = rows.integer(row, first + 11);
  runtime.updated_at = rows.integer(row, first + 12);
  return runtime;
}

std::vector<StoredEvent> read_events(const PgRows& rows) {
  std::vector<StoredEvent> events;
  for (int i = 0; i < rows.size(); ++i) {
    StoredEvent stored;
    task::TaskEvent& event = stored.event;
    event.event_id = rows.text(i, 0);
    event.task_id = rows.text(i, 1);
    event.project_id = rows.text(i, 2);
    event.source_type = task::parse_source_type(rows.text(i, 3)).value_or(task::SourceType::live);
    event.event_type = rows.text(i, 4);
    event.sequence = rows.integer(i, 5);
    event.timestamp = rows.integer(i, 6);
    event.data = rows.text(i, 7);
    event.callback_url = rows.text(i, 8);
    stored.state = rows.text(i, 9);
    stored.attempts = rows.integer(i, 10);
    events.push_back(std::move(stored));
  }
  return events;
}

std::vector<task::TaskRecord> records_of(const PgRows& rows, SpecCache& specs) {
  std::vector<task::TaskRecord> records;
  for (int i = 0; i < rows.size(); ++i) {
    task::TaskRecord record;
    record.seq = rows.integer(i, 1);
    record.revision = rows.integer(i, 2);
    record.spec = specs.decode(rows.view(i, 0), record.seq, record.revision);
    record.is_deleted = rows.boolean(i, 3);
    record.finish_reason = task::parse_finish_reason(rows.text(i, 4));
    record.runtime = read_runtime(rows, i, 5);
    records.push_back(std::move(record));
  }
  return records;
}

// A page of a project's tasks, newest first, in three prepared statements: the total, the block
// that holds the page's first task (its blocks summed from the nearer end by the server), and the
// page's records from that task on.
TaskPage read_page(PgConnection& db, SpecCache& specs, const std::string& project_id,
                   const task::ListQuery& query) {
  std::string filter = "t.project_id = $1 AND NOT t.is_deleted ";
  PgParams params = {project_id};
  if (query.region) {
    params.push_back(*query.region);
    filter += "AND t.region = $2 ";
  }
  auto next = [&params](std::string value) {
    params.push_back(std::move(value));
    return "$" + num(static_cast<int64_t>(params.size()));
  };
  TaskPage page;
  if (query.task_id) {
    std::string sql =
        "SELECT " + std::string(kRecordColumns) + "WHERE " + filter + "AND t.task_id = ";
    sql += next(*query.task_id);
    std::vector<task::TaskRecord> found = records_of(db.exec_prepared(sql, params), specs);
    page.total = static_cast<int64_t>(found.size());
    if (query.offset == 0) page.records = std::move(found);
    return page;
  }
  std::string region = query.region.value_or("");
  PgRows count = db.exec_prepared(
      "SELECT live FROM task_counts WHERE project_id = $1 AND region = $2", {project_id, region});
  page.total = count.size() > 0 ? count.integer(0, 0) : 0;
  PageFinder finder(page.total, query.offset);
  if (finder.is_past_the_end()) return page;
  // The block where the running sum of live tasks from the nearer end passes the page's place;
  // the rows come in the window's order, so the first that passes is that block.
  std::string order = finder.reads_newest_first() ? "DESC" : "";
  PgRows block = db.exec_prepared(
      "SELECT block, live, upto - live FROM (SELECT block, live, SUM(live) OVER (ORDER BY block " +
          order +
          " ROWS UNBOUNDED PRECEDING) AS upto FROM task_blocks WHERE project_id = $1 AND "
          "region = $2) counted WHERE upto > $3 LIMIT 1",
      {project_id, region, num(finder.place())});
  // Counts that disagree with themselves give no page rather than a wrong one.
  if (block.size() == 0 || block.integer(0, 2) > finder.place()) return page;
  finder.pass(block.integer(0, 2));
  if (!finder.add(block.integer(0, 0), block.integer(0, 1))) return page;
  // The page's first task from the index alone, counted from its block's nearer end, then the
  // page's records from there.
  bool from_newest = finder.seeks_from_newest();
  std::string first = "SELECT t.seq FROM tasks t WHERE " + filter;
  if (from_newest) {
    first += "AND t.seq < " + next(num(finder.newest_bound())) +
             " ORDER BY t.seq DESC LIMIT 1 OFFSET " + next(num(finder.skipped()));
  } else {
    first += "AND t.seq >= " + next(num(finder.oldest_bound())) +
             " ORDER BY t.seq LIMIT 1 OFFSET " + next(num(finder.older()));
  }
  std::string sql = "SELECT " + std::string(kRecordColumns) + "WHERE " + filter + "AND t.seq <= (" +
                    first + ") ORDER BY t.seq DESC LIMIT ";
  sql += next(num(query.limit));
  page.records = records_of(db.exec_prepared(sql, params), specs);
  return page;
}

task::Error conflict() {
  return {task::ErrorKind::conflict, "destination is already used by another active task"};
}

std::string regions_text(const std::vector<std::string>& regions) {
  std::string text;
  for (const std::string& region : regions) text += (text.empty() ? "" : ",") + region;
  return text;
}

}  // namespace

PostgresStore::PostgresStore(const std::string& conninfo, std::string node_id)
    : conninfo_(conninfo), node_id_(std::move(node_id)), db_(conninfo) {
  migrate();
  readers_.open_all();
}

void PostgresStore::migrate() {
  std::lock_guard lock(mutex_);
  db_.exec("SELECT pg_advisory_lock(72546461)");
  try {
    db_.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY)");
    PgRows rows = db_.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    int version = static_cast<int>(rows.integer(0, 0));
    int target = static_cast<int>(std::size(kPostgresMigrations));
    if (version > target) {
      throw StoreError("database schema version " + num(version) + " is newer than this build");
    }
    for (int i = version; i < target; ++i) {
      PgTransaction tx(db_);
      db_.exec_script(std::string(kPostgresMigrations[i]));
      db_.exec("INSERT INTO schema_migrations (version) VALUES ($1)", {num(i + 1)});
      tx.commit();
    }
  } catch (...) {
    db_.exec("SELECT pg_advisory_unlock(72546461)");
    throw;
  }
  db_.exec("SELECT pg_advisory_unlock(72546461)");
}

int PostgresStore::schema_version() {
  std::lock_guard lock(mutex_);
  return static_cast<int>(
      db_.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").integer(0, 0));
}

void PostgresStore::drop_everything() {
  std::lock_guard lock(mutex_);
  db_.exec(
      "DROP TABLE IF EXISTS schema_migrations, meta, tasks, task_runtime, event_sequences, events, "
      "nodes");
}

int64_t PostgresStore::next_revision() {
  return db_.exec("UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value")
      .integer(0, 0);
}

bool PostgresStore::is_destination_taken(const std::string& destination_key,
                                         const std::string& project_id, const std::string& task_id,
                                         int64_t now) {
  return db_.exec(
                "SELECT 1 FROM tasks WHERE destination_key = $1 AND project_id = $2 AND "
                "task_id <> $3 AND NOT is_deleted AND finish_reason = '' AND end_time > $4 LIMIT 1",
                {destination_key, project_id, task_id, num(now)})
             .size() > 0;
}

task::Status PostgresStore::create_task(const task::TaskSpec& spec,
                                        const std::string& destination_key, int64_t now,
                                        int64_t max_active) {
  std::lock_guard lock(mutex_);
  PgTransaction tx(db_);
  // One writer at a time checks quota and destination (the revision row is the lock).
  int64_t revision = next_revision();
  if (max_active > 0) {
    int64_t active = db_.exec(
                            "SELECT COUNT(*) FROM tasks WHERE project_id = $1 AND NOT "
                            "is_deleted AND finish_reason = '' AND end_time > $2",
                            {spec.project_id, num(now)})
                         .integer(0, 0);
    if (active >= max_active) {
      return task::Error{task::ErrorKind::quota_exceeded, "task quota exceeded: project " +
                                                              spec.project_id + " already has " +
                                                              num(max_active) + " active tasks"};
    }
  }
  if (is_destination_taken(destination_key, spec.project_id, spec.task_id, now)) return conflict();
  // The task and its runtime row in one statement: a round trip fewer.
  db_.exec(
      "WITH created AS (INSERT INTO tasks (task_id, project_id, region, destination_key, "
      "start_time, end_time, is_paused, is_vod, spec, revision) VALUES ($1, $2, $3, $4, $5, $6, "
      "$7, $8, $9, $10) RETURNING task_id) INSERT INTO task_runtime (task_id) SELECT task_id "
      "FROM created",
      {spec.task_id, spec.project_id, spec.region, destination_key, num(spec.start_time),
       num(spec.end_time), flag(spec.is_paused), flag(spec.is_vod()), encode_spec(spec),
       num(revision)});
  tx.commit();
  return task::ok_status();
}

void PostgresStore::bulk_create_tasks(const std::vector<task::TaskSpec>& specs) {
  constexpr size_t kRowsPerStatement = 500;
  std::lock_guard lock(mutex_);
  for (size_t from = 0; from < specs.size(); from += kRowsPerStatement) {
    // A transaction per statement: the counting triggers update one row per project, and row
    // versions left by one long transaction would make every later update slower.
    PgTransaction tx(db_);
    size_t to = std::min(specs.size(), from + kRowsPerStatement);
    std::string tasks =
        "INSERT INTO tasks (task_id, project_id, region, destination_key, start_time, end_time, "
        "is_paused, is_vod, spec, revision) VALUES ";
    std::string runtimes = "INSERT INTO task_runtime (task_id) VALUES ";
    PgParams task_params;
    PgParams runtime_params;
    // The batch's revisions taken at once: one update of the counter row per batch, not per task.
    int64_t revision = db_.exec(
                              "UPDATE meta SET value = value + $1 WHERE key = 'revision' "
                              "RETURNING value",
                              {num(static_cast<int64_t>(to - from))})
                           .integer(0, 0) -
                       static_cast<int64_t>(to - from);
    for (size_t i = from; i < to; ++i) {
      const task::TaskSpec& spec = specs[i];
      size_t n = task_params.size();
      tasks += (i > from ? ",(" : "(");
      for (size_t column = 1; column <= 10; ++column) {
        tasks += "$" + std::to_string(n + column) + (column < 10 ? "," : ")");
      }
      for (std::string value :
           {spec.task_id, spec.project_id, spec.region, task::destination_of(spec),
            num(spec.start_time), num(spec.end_time), flag(spec.is_paused), flag(spec.is_vod()),
            encode_spec(spec), num(++revision)}) {
        task_params.push_back(std::move(value));
      }
      runtime_params.push_back(spec.task_id);
      runtimes += (i > from ? ",($" : "($") + std::to_string(runtime_params.size()) + ")";
    }
    db_.exec(tasks, task_params);
    db_.exec(runtimes, runtime_params);
    tx.commit();
  }
}

std::optional<task::TaskRecord> PostgresStore::find_task(const std::string& project_id,
                                                         const std::string& task_id) {
  auto reader = readers_.borrow();
  auto records = records_of(reader->exec_prepared("SELECT " + std::string(kRecordColumns) +
                                                      "WHERE t.task_id = $1 AND t.project_id = $2 "
                                                      "AND NOT t.is_deleted",
                                                  {task_id, project_id}),
                            specs_);
  if (records.empty()) return std::nullopt;
  return records.front();
}

TaskPage PostgresStore::list_tasks(const std::string& project_id, const task::ListQuery& query) {
  auto reader = readers_.borrow();
  return read_page(*reader, specs_, project_id, query);
}

task::Status PostgresStore::update_task(const task::TaskSpec& spec, int64_t expected_revision,
                                        bool is_revived, const std::string& destination_key,
                                        int64_t now, const Events& events) {
  std::lock_guard lock(mutex_);
  PgTransaction tx(db_);
  int64_t revision = next_revision();
  if (is_revived && is_destination_taken(destination_key, spec.project_id, spec.task_id, now))
    return conflict();
  PgRows updated = db_.exec(
      "UPDATE tasks SET spec = $1, start_time = $2, end_time = $3, is_paused = $4, revision = $5, "
      "finish_reason = CASE WHEN $6 THEN '' ELSE finish_reason END "
      "WHERE task_id = $7 AND revision = $8 AND NOT is_deleted",
      {encode_spec(spec), num(spec.start_time), num(spec.end_time), flag(spec.is_paused),
       num(revision), flag(is_revived), spec.task_id, num(expected_revision)});
  if (updated.affected() == 0) {
    return task::Error{task::ErrorKind::bad_state, "task changed concurrently"};
  }
  insert_events(events);
  tx.commit();
  return task::ok_status();
}

task::Status PostgresStore::delete_task(const std::string& project_id, const std::string& task_id,
                                        const Events& events) {
  std::lock_guard lock(mutex_);
  PgTransaction tx(db_);
  PgRows updated = db_.exec(
      "UPDATE tasks SET is_deleted = true, revision = $1 WHERE task_id = $2 AND project_id = $3 "
      "AND NOT is_deleted",
      {num(next_revision()), task_id, project_id});
  if (updated.affected() == 0) {
    return task::Error{task::ErrorKind::not_found, "task_id " + task_id + " does not exist"};
  }
  insert_events(events);
  tx.commit();
  return task::ok_status();
}

std::vector<task::TaskRecord> PostgresStore::tasks_changed_since(int64_t revision, int64_t limit) {
  auto reader = readers_.borrow();
  return records_of(reader->exec_prepared("SELECT " + std::string(kRecordColumns) +
                                              "WHERE t.revision > $1 ORDER BY t.revision LIMIT $2",
                                          {num(revision), num(limit)}),
                    specs_);
}

bool PostgresStore::finish_task(const std::string& task_id, task::FinishReason reason,
                                int64_t expected_revision, const Events& events) {
  std::lock_guard lock(mutex_);
  PgTransaction tx(db_);
  PgRows updated = db_.exec(
      "UPDATE tasks SET finish_reason = $1, revision = $2 WHERE task_id = $3 AND revision = $4 "
      "AND NOT is_deleted",
      {std::string(task::to_string(reason)), num(next_revision()), task_id,
       num(expected_revision)});
  if (updated.affected() == 0) return false;
  insert_events(events);
  tx.commit();
  return true;
}

void PostgresStore::insert_events(const Events& events) {
  for (const task::TaskEvent& event : events) {
    int64_t sequence =
        db_.exec(
               "INSERT INTO event_sequences (task_id, last) VALUES ($1, 1) ON CONFLICT (task_id) "
               "DO UPDATE SET last = event_sequences.last + 1 RETURNING last",
               {event.task_id})
            .integer(0, 0);
    if (sequence > retention().events_per_task) {
      db_.exec("DELETE FROM events WHERE task_id = $1 AND sequence <= $2 AND state != 'pending'",
               {event.task_id, num(sequence - retention().events_per_task)});
    }
    db_.exec(
        "INSERT INTO events (event_id, task_id, project_id, source_type, event_type, "
        "sequence, created_at, data, callback_url, state) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        {event.event_id, event.task_id, event.project_id,
         std::string(task::to_string(event.source_type)), event.event_type, num(sequence),
         num(event.timestamp), event.data, event.callback_url,
         std::string(event.callback_url.empty() ? "skipped" : "pending")});
  }
}

void PostgresStore::append_events(const Events& events) {
  if (events.empty()) return;
  std::lock_guard lock(mutex_);
  PgTransaction tx(db_);
  insert_events(events);
  tx.commit();
}

std::vector<StoredEvent> PostgresStore::task_events(const std::string& task_id, int64_t limit) {
  std::lock_guard lock(mutex_);
  return read_events(db_.exec("SELECT " + std::string(kEventColumns) +
                                  " FROM (SELECT * FROM events WHERE task_id = $1 ORDER BY "
                                  "sequence DESC LIMIT $2) e ORDER BY sequence",
                              {task_id, num(limit)}));
}

std::vector<StoredEvent> PostgresStore::due_events(int64_t now, int64_t limit) {
  std::lock_guard lock(mutex_);
  // Claimed for this node, so no other node sends them meanwhile; still next in line per task.
  return read_events(db_.exec(
      "UPDATE events SET claimed_by = $1, claim_until = $2 WHERE id IN (SELECT e.id FROM events e "
      "WHERE e.state = 'pending' AND e.next_attempt_at <= $3 AND e.claim_until <= $3 AND "
      "e.sequence = (SELECT MIN(p.sequence) FROM events p WHERE p.task_id = e.task_id AND "
      "p.state = 'pending') ORDER BY e.id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING " +
          std::string(kEventColumns),
      {node_id_, num(now + kEventClaimSeconds), num(now), num(limit)}));
}

int64_t PostgresStore::pending_event_count() {
  std::lock_guard lock(mutex_);
  return db_.exec("SELECT COUNT(*) FROM events WHERE state = 'pending'").integer(0, 0);
}

void PostgresStore::mark_event_delivered(const std::string& event_id) {
  std::lock_guard lock(mutex_);
  db_.exec(
      "UPDATE events SET state = 'delivered', attempts = attempts + 1, claim_until = 0 "
      "WHERE event_id = $1",
      {event_id});
}

void PostgresStore::mark_event_failed(const std::string& event_id, int64_t next_attempt_at,
                                      const std::string& error, bool is_expired) {
  std::lock_guard lock(mutex_);
  db_.exec(
      "UPDATE events SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2, "
      "claim_until = 0, state = CASE WHEN $3 THEN 'expired' ELSE state END "
      "WHERE event_id = $4",
      {num(next_attempt_at), error, flag(is_expired), event_id});
}

void PostgresStore::save_runtimes(const std::vector<RuntimeUpdate>& updates) {
  if (updates.empty()) return;
  std::lock_guard lock(mutex_);
  PgTransaction tx(db_);
  for (const RuntimeUpdate& update : updates) {
    const task::TaskRuntime& r = update.runtime;
    // Written only by the node that holds the lease at this epoch (fencing).
    db_.exec(
        "UPDATE task_runtime SET relay_state = $1, source = $2, source_url = $3, "
        "file_index = $4, file_offset_seconds = $5, looped_times = $6, started_at = $7, "
        "last_error = $8, bytes_in = $9, bytes_out = $10, bitrate_kbps = $11, "
        "reconnects = $12, updated_at = $13 WHERE task_id = $14 AND EXISTS (SELECT 1 FROM "
        "tasks t WHERE t.task_id = $14 AND t.owner_node = $15 AND t.lease_epoch = $16)",
        {std::string(task::to_string(r.relay_state)), r.source, r.source_url, num(r.file_index),
         std::to_string(r.file_offset_seconds), num(r.looped_times), num(r.started_at),
         r.last_error, num(r.bytes_in), num(r.bytes_out), num(r.bitrate_kbps), num(r.reconnects),
         num(r.updated_at), update.task_id, node_id_, num(update.lease_epoch)});
  }
  tx.commit();
}

void PostgresStore::purge_tasks(const std::vector<std::string>& task_ids, int64_t now) {
  if (task_ids.empty()) return;
  std::lock_guard lock(mutex_);
  PgTransaction tx(db_);
  for (const std::string& task_id : task_ids) {
    PgRows purged = db_.exec_prepared(
        "DELETE FROM tasks WHERE task_id = $1 AND is_deleted RETURNING seq", {task_id});
    if (purged.size() == 0) continue;  // only a deleted task is purged
    specs_.forget(purged.integer(0, 0));
    db_.exec_prepared("DELETE FROM task_runtime WHERE task_id = $1", {task_id});
    db_.exec_prepared(
        "INSERT INTO event_sequences (task_id, last, purged_at) VALUES ($1, 0, $2) "
        "ON CONFLICT (task_id) DO UPDATE SET purged_at = excluded.purged_at",
        {task_id, num(now)});
  }
  tx.commit();
}

RetentionPass PostgresStore::apply_retention(int64_t now, int64_t limit) {
  std::lock_guard lock(mutex_);
  std::string before = num(now - retention().seconds);
  RetentionPass pass;
  PgTransaction tx(db_);
  pass.events = db_.exec(
                       "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < "
                       "$1 AND state != 'pending' ORDER BY created_at LIMIT $2)",
                       {before, num(limit)})
                    .affected();
  // Purged long enough ago, with nothing left to deliver: the rest of the task goes.
  PgRows gone = db_.exec(
      "DELETE FROM event_sequences WHERE task_id IN (SELECT s.task_id FROM event_sequences s "
      "WHERE s.purged_at > 0 AND s.purged_at < $1 AND NOT EXISTS (SELECT 1 FROM events e WHERE "
      "e.task_id = s.task_id AND e.state = 'pending') LIMIT $2) RETURNING task_id",
      {before, num(limit)});
  for (int i = 0; i < gone.size(); ++i) {
    pass.events += db_.exec("DELETE FROM events WHERE task_id = $1", {gone.text(i, 0)}).affected();
  }
  pass.tasks = gone.size();
  tx.commit();
  return pass;  // PostgreSQL's autovacuum reuses the space
}

std::optional<task::TaskRuntime> PostgresStore::stored_runtime(const std::string& task_id) {
  std::lock_guard lock(mutex_);
  PgRows rows = db_.exec(
      "SELECT relay_state, source, source_url, file_index, file_offset_seconds, looped_times, "
      "started_at, last_error, bytes_in, bytes_out, bitrate_kbps, reconnects, updated_at FROM "
      "task_runtime WHERE task_id = $1",
      {task_id});
  if (rows.size() == 0) return std::nullopt;
  return read_runtime(rows, 0, 0);
}

std::vector<Lease> PostgresStore::acquire_leases(const NodeInfo& node, int64_t now_ms,
                                                 int64_t ttl_ms) {
  std::lock_guard lock(mutex_);
  PgTransaction tx(db_);
  int64_t now_s = now_ms / 1000;
  db_.exec(
      "INSERT INTO nodes (node_id, regions, capacity, heartbeat_at) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (node_id) DO UPDATE SET regions = $2, capacity = $3, heartbeat_at = $4",
      {node.node_id, regions_text(node.regions), num(node.capacity), num(now_ms)});
  // Tasks that should run now: `now` (unix seconds) is parameter $<now>, the regions $<now + 1>.
  auto runnable = [&node](int now) {
    std::string at = "$" + std::to_string(now);
    // A paused playlist keeps its destination session (it shows the slate), so it is run too.
    std::string filter =
        "NOT is_deleted AND finish_reason = '' AND (is_vod OR NOT is_paused) AND "
        "start_time <= " +
        at + " AND end_time > " + at + " ";
    if (!node.regions.empty())
      filter += "AND region = ANY($" + std::to_string(now + 1) + "::text[]) ";
    return filter;
  };
  PgParams region_param;
  if (!node.regions.empty()) region_param.push_back("{" + regions_text(node.regions) + "}");
  // Tasks that should not run now (ended, deleted, paused, moved) are given back; the others are
  // renewed.
  PgParams give_back_params = {node.node_id, num(now_s)};
  give_back_params.insert(give_back_params.end(), region_param.begin(), region_param.end());
  // The runtime report goes idle with it: the relay stops in this same round, and its last
  // write would no longer pass the fence.
  db_.exec(
      "WITH given AS (UPDATE tasks SET owner_node = NULL, lease_expires_at = 0 WHERE owner_node "
      "= $1 AND NOT (" +
          runnable(2) +
          ") RETURNING task_id) UPDATE task_runtime SET relay_state = 'idle', bitrate_kbps = 0 "
          "WHERE task_id IN (SELECT task_id FROM given)",
      give_back_params);
  PgRows held = db_.exec(
      "UPDATE tasks SET lease_expires_at = $1 WHERE owner_node = $2 RETURNING task_id, lease_epoch",
      {num(now_ms + ttl_ms), node.node_id});
  std::vector<Lease> leases;
  for (int i = 0; i < held.size(); ++i) leases.push_back({held.text(i, 0), held.integer(i, 1)});
  // This node's share of the tasks that should run, by capacity among the live nodes that serve
  // some of the same regions, so tasks spread over the cluster instead of filling the first node
  // that looks.
  int64_t live_capacity =
      db_.exec(
             "SELECT COALESCE(SUM(capacity), 0) FROM nodes WHERE heartbeat_at > $1 AND "
             "(regions = '' OR $2 = '' OR string_to_array(regions, ',') && "
             "string_to_array($2, ','))",
             {num(now_ms - ttl_ms), regions_text(node.regions)})
          .integer(0, 0);
  PgParams count_params = {num(now_s)};
  count_params.insert(count_params.end(), region_param.begin(), region_param.end());
  int64_t wanted =
      db_.exec("SELECT COUNT(*) FROM tasks WHERE " + runnable(1), count_params).integer(0, 0);
  int64_t share = live_capacity > 0 ? (wanted * node.capacity + live_capacity - 1) / live_capacity
                                    : node.capacity;
  int64_t room = std::min(node.capacity, share) - static_cast<int64_t>(leases.size());
  if (room > 0) {
    PgParams params = {node.node_id, num(now_ms + ttl_ms), num(now_ms), num(now_s)};
    params.insert(params.end(), region_param.begin(), region_param.end());
    params.push_back(num(room));
    PgRows claimed = db_.exec(
        "UPDATE tasks t SET owner_node = $1, lease_epoch = t.lease_epoch + 1, "
        "lease_expires_at = $2 FROM (SELECT task_id FROM tasks WHERE " +
            runnable(4) +
            "AND (owner_node IS NULL OR lease_expires_at <= $3) ORDER BY seq LIMIT $" +
            num(static_cast<int64_t>(params.size())) +
            " FOR UPDATE SKIP LOCKED) c WHERE t.task_id = c.task_id "
            "RETURNING t.task_id, t.lease_epoch",
        params);
    for (int i = 0; i < claimed.size(); ++i) {
      leases.push_back({claimed.text(i, 0), claimed.integer(i, 1)});
    }
  }
  tx.commit();
  return leases;
}

void PostgresStore::release_leases(const std::string& node_id) {
  std::lock_guard lock(mutex_);
  PgTransaction tx(db_);
  db_.exec("UPDATE tasks SET owner_node = NULL, lease_expires_at = 0 WHERE owner_node = $1",
           {node_id});
  db_.exec("DELETE FROM nodes WHERE node_id = $1", {node_id});  // it left: others share its work
  tx.commit();
}

}  // namespace streamrelay::store
