#pragma once

#include <string_view>

namespace streamrelay::store {

// Schema migrations, applied in order; migration i brings the schema to version i + 1.
// Never edit a released migration: append a new one.
inline constexpr std::string_view kSqliteMigrations[] = {
    R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta (key, value) VALUES ('revision', 0);
CREATE TABLE tasks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL,
  region TEXT NOT NULL,
  destination_key TEXT NOT NULL,
  end_time INTEGER NOT NULL,
  spec TEXT NOT NULL,
  is_deleted INTEGER NOT NULL DEFAULT 0,
  finish_reason TEXT NOT NULL DEFAULT '',
  revision INTEGER NOT NULL
);
CREATE INDEX tasks_by_project ON tasks (project_id, is_deleted, seq);
CREATE INDEX tasks_by_project_region ON tasks (project_id, region, is_deleted, seq);
CREATE INDEX tasks_by_destination ON tasks (destination_key);
CREATE INDEX tasks_by_revision ON tasks (revision);
CREATE TABLE task_runtime (
  task_id TEXT PRIMARY KEY,
  relay_state TEXT NOT NULL DEFAULT 'idle',
  source TEXT NOT NULL DEFAULT 'primary',
  source_url TEXT NOT NULL DEFAULT '',
  file_index INTEGER NOT NULL DEFAULT 0,
  file_offset_seconds REAL NOT NULL DEFAULT 0,
  looped_times INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  bytes_in INTEGER NOT NULL DEFAULT 0,
  bytes_out INTEGER NOT NULL DEFAULT 0,
  bitrate_kbps INTEGER NOT NULL DEFAULT 0,
  reconnects INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT 0
);
)sql",
    R"sql(
CREATE TABLE event_sequences (task_id TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,
  task_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  source_type TEXT NOT NULL,
  event_type TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  data TEXT NOT NULL,
  callback_url TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_task ON events (task_id, sequence);
CREATE INDEX events_pending ON events (state, next_attempt_at);
CREATE INDEX events_pending_by_task ON events (task_id, state, sequence);
)sql",
    // Retention: events by age, and when a task's rows were purged (0: not deleted).
    R"sql(
CREATE INDEX events_by_age ON events (created_at);
ALTER TABLE event_sequences ADD COLUMN purged_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX event_sequences_purged ON event_sequences (purged_at) WHERE purged_at > 0;
)sql",
    // Paging without scanning: each project's (and project and region's) live tasks counted in
    // all and per block of 1024 creation numbers, kept by triggers; a page finds its block by
    // adding the counts from the nearer end. Region '' counts every region of the project.
    R"sql(
CREATE TABLE task_blocks (
  project_id TEXT NOT NULL,
  region TEXT NOT NULL,
  block INTEGER NOT NULL,
  live INTEGER NOT NULL,
  PRIMARY KEY (project_id, region, block)
) WITHOUT ROWID;
CREATE TABLE task_counts (
  project_id TEXT NOT NULL,
  region TEXT NOT NULL,
  live INTEGER NOT NULL,
  PRIMARY KEY (project_id, region)
) WITHOUT ROWID;
INSERT INTO task_blocks SELECT project_id, '', seq >> 10, COUNT(*) FROM tasks
  WHERE is_deleted = 0 GROUP BY project_id, seq >> 10;
INSERT INTO task_blocks SELECT project_id, region, seq >> 10, COUNT(*) FROM tasks
  WHERE is_deleted = 0 GROUP BY project_id, region, seq >> 10;
INSERT INTO task_counts SELECT project_id, region, SUM(live) FROM task_blocks
  GROUP BY project_id, region;
CREATE TRIGGER task_blocks_created AFTER INSERT ON tasks WHEN NEW.is_deleted = 0 BEGIN
  INSERT INTO task_blocks VALUES (NEW.project_id, '', NEW.seq >> 10, 1)
    ON CONFLICT DO UPDATE SET live = live + 1;
  INSERT INTO task_blocks VALUES (NEW.project_id, NEW.region, NEW.seq >> 10, 1)
    ON CONFLICT DO UPDATE SET live = live + 1;
  INSERT INTO task_counts VALUES (NEW.project_id, '', 1) ON CONFLICT DO UPDATE SET live = live + 1;
  INSERT INTO task_counts VALUES (NEW.project_id, NEW.region, 1)
    ON CONFLICT DO UPDATE SET live = live + 1;
END;
CREATE TRIGGER task_blocks_deleted AFTER UPDATE OF is_deleted ON tasks
  WHEN OLD.is_deleted = 0 AND NEW.is_deleted != 0 BEGIN
  UPDATE task_blocks SET live = live - 1
    WHERE project_id = OLD.project_id AND region IN ('', OLD.region) AND block = OLD.seq >> 10;
  DELETE FROM task_blocks
    WHERE project_id = OLD.project_id AND region IN ('', OLD.region) AND block = OLD.seq >> 10
    AND live <= 0;
  UPDATE task_counts SET live = live - 1
    WHERE project_id = OLD.project_id AND region IN ('', OLD.region);
END;
CREATE TRIGGER task_blocks_removed AFTER DELETE ON tasks WHEN OLD.is_deleted = 0 BEGIN
  UPDATE task_blocks SET live = live - 1
    WHERE project_id = OLD.project_id AND region IN ('', OLD.region) AND block = OLD.seq >> 10;
  DELETE FROM task_blocks
    WHERE project_id = OLD.project_id AND region IN ('', OLD.region) AND block = OLD.seq >> 10
    AND live <= 0;
  UPDATE task_counts SET live = live - 1
    WHERE project_id = OLD.project_id AND region IN ('', OLD.region);
END;
)sql",
    // A project's active tasks (what its quota counts) read from an index of those alone: a
    // project with a long history of finished tasks no longer has them all read at each create
    // (a million took 0.3 s, 3 s from disk). The filtered columns are in it so the count reads
    // the index alone.
    R"sql(
CREATE INDEX tasks_active ON tasks (project_id, end_time, is_deleted, finish_reason)
  WHERE is_deleted = 0 AND finish_reason = '';
)sql",
};

// Queries whose plans decide a create's cost at a million tasks; here so that the tests plan the
// very text the store runs.
// A project's active tasks, what its quota counts (from tasks_active alone).
inline constexpr std::string_view kActiveTaskCount =
    "SELECT COUNT(*) FROM tasks WHERE project_id = ? AND is_deleted = 0 AND finish_reason = '' "
    "AND end_time > ?";
// Whether another active task of the project pushes to a destination. The destination's tasks
// alone: left to choose, SQLite took tasks_active, all of the project's active tasks (2.4 s a
// create at a million).
inline constexpr std::string_view kDestinationTaken =
    "SELECT 1 FROM tasks INDEXED BY tasks_by_destination WHERE destination_key = ? AND "
    "project_id = ? AND task_id != ? AND is_deleted = 0 AND finish_reason = '' AND end_time > ? "
    "LIMIT 1";

}  // namespace streamrelay::store
