#pragma once

#include <string_view>

namespace streamrelay::store {

// PostgreSQL schema migrations, applied in order under an advisory lock (nodes may start
// together); migration i brings the schema to version i + 1. Never edit a released one.
inline constexpr std::string_view kPostgresMigrations[] = {
    R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO meta (key, value) VALUES ('revision', 0);
CREATE TABLE tasks (
  seq BIGSERIAL PRIMARY KEY,
  task_id TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL,
  region TEXT NOT NULL,
  destination_key TEXT NOT NULL,
  start_time BIGINT NOT NULL,
  end_time BIGINT NOT NULL,
  is_paused BOOLEAN NOT NULL DEFAULT false,
  is_vod BOOLEAN NOT NULL DEFAULT false,
  spec TEXT NOT NULL,
  is_deleted BOOLEAN NOT NULL DEFAULT false,
  finish_reason TEXT NOT NULL DEFAULT '',
  revision BIGINT NOT NULL,
  owner_node TEXT,
  lease_epoch BIGINT NOT NULL DEFAULT 0,
  lease_expires_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX tasks_by_project ON tasks (project_id, is_deleted, seq);
CREATE INDEX tasks_by_project_region ON tasks (project_id, region, is_deleted, seq);
CREATE INDEX tasks_by_destination ON tasks (destination_key);
CREATE INDEX tasks_by_revision ON tasks (revision);
CREATE INDEX tasks_by_owner ON tasks (owner_node);
CREATE TABLE task_runtime (
  task_id TEXT PRIMARY KEY,
  relay_state TEXT NOT NULL DEFAULT 'idle',
  source TEXT NOT NULL DEFAULT 'primary',
  source_url TEXT NOT NULL DEFAULT '',
  file_index BIGINT NOT NULL DEFAULT 0,
  file_offset_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
  looped_times BIGINT NOT NULL DEFAULT 0,
  started_at BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  bytes_in BIGINT NOT NULL DEFAULT 0,
  bytes_out BIGINT NOT NULL DEFAULT 0,
  bitrate_kbps BIGINT NOT NULL DEFAULT 0,
  reconnects BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE event_sequences (task_id TEXT PRIMARY KEY, last BIGINT NOT NULL);
CREATE TABLE events (
  id BIGSERIAL PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  task_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  source_type TEXT NOT NULL,
  event_type TEXT NOT NULL,
  sequence BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  data TEXT NOT NULL,
  callback_url TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  claimed_by TEXT,
  claim_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX events_by_task ON events (task_id, sequence);
CREATE INDEX events_pending ON events (state, next_attempt_at);
CREATE TABLE nodes (
  node_id TEXT PRIMARY KEY,
  regions TEXT NOT NULL,
  capacity BIGINT NOT NULL,
  heartbeat_at BIGINT NOT NULL
);
)sql",
    // Retention: events by age, and when a task's rows were purged (0: not deleted).
    R"sql(
CREATE INDEX events_by_age ON events (created_at);
ALTER TABLE event_sequences ADD COLUMN purged_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX event_sequences_purged ON event_sequences (purged_at) WHERE purged_at > 0;
)sql",
    // Paging without scanning: each project's (and project and region's) live tasks counted in
    // all and per block of 1024 creation numbers, kept by triggers; a page finds its block by
    // adding the counts from the nearer end. Region '' counts every region of the project.
    R"sql(
CREATE TABLE task_blocks (
  project_id TEXT NOT NULL,
  region TEXT NOT NULL,
  block BIGINT NOT NULL,
  live BIGINT NOT NULL,
  PRIMARY KEY (project_id, region, block)
);
CREATE TABLE task_counts (
  project_id TEXT NOT NULL,
  region TEXT NOT NULL,
  live BIGINT NOT NULL,
  PRIMARY KEY (project_id, region)
);
INSERT INTO task_blocks SELECT project_id, '', seq >> 10, COUNT(*) FROM tasks
  WHERE NOT is_deleted GROUP BY project_id, seq >> 10;
INSERT INTO task_blocks SELECT project_id, region, seq >> 10, COUNT(*) FROM tasks
  WHERE NOT is_deleted GROUP BY project_id, region, seq >> 10;
INSERT INTO task_counts SELECT project_id, region, SUM(live) FROM task_blocks
  GROUP BY project_id, region;
CREATE FUNCTION task_blocks_count() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' AND NOT NEW.is_deleted THEN
    INSERT INTO task_blocks VALUES (NEW.project_id, '', NEW.seq >> 10, 1), (NEW.project_id,
      NEW.region, NEW.seq >> 10, 1) ON CONFLICT (project_id, region, block)
      DO UPDATE SET live = task_blocks.live + 1;
    INSERT INTO task_counts VALUES (NEW.project_id, '', 1), (NEW.project_id, NEW.region, 1)
      ON CONFLICT (project_id, region) DO UPDATE SET live = task_counts.live + 1;
  ELSIF (TG_OP = 'UPDATE' AND NOT OLD.is_deleted AND NEW.is_deleted) OR
        (TG_OP = 'DELETE' AND NOT OLD.is_deleted) THEN
    UPDATE task_blocks SET live = live - 1 WHERE project_id = OLD.project_id
      AND region IN ('', OLD.region) AND block = OLD.seq >> 10;
    DELETE FROM task_blocks WHERE project_id = OLD.project_id AND region IN ('', OLD.region)
      AND block = OLD.seq >> 10 AND live <= 0;
    UPDATE task_counts SET live = live - 1 WHERE project_id = OLD.project_id
      AND region IN ('', OLD.region);
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER task_blocks_count AFTER INSERT OR DELETE OR UPDATE OF is_deleted ON tasks
  FOR EACH ROW EXECUTE FUNCTION task_blocks_count();
-- The tasks a node may claim, found without reading every waiting or finished one.
CREATE INDEX tasks_runnable ON tasks (start_time)
  WHERE NOT is_deleted AND finish_reason = '' AND (is_vod OR NOT is_paused);
)sql",
    // A project's active tasks (what its quota counts) read from an index of those alone: a
    // project with a long history of finished tasks no longer has them all read at each create.
    R"sql(
CREATE INDEX tasks_active ON tasks (project_id, end_time)
  WHERE NOT is_deleted AND finish_reason = '';
)sql",
};

}  // namespace streamrelay::store
