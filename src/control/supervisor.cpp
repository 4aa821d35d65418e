#include "control/supervisor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <exception>
#include <utility>

#include "control/relay_reports.h"
#include "observe/metrics.h"
#include "observe/process_memory.h"

namespace streamrelay::control {
namespace {

// Empties a set of task ids. One that once held every task (the first look at a big store) gives
// its buckets back: clear() would wipe them all, megabytes, on every tick.
void empty(std::unordered_set<std::string>& ids) {
  constexpr size_t kKeptBuckets = 4096;
  if (ids.bucket_count() > kKeptBuckets) {
    std::unordered_set<std::string>().swap(ids);
  } else {
    ids.clear();
  }
}

// Where a stopped playlist goes on after its list changed, following vod_refresh_type.
void move_breakpoint(task::TaskRuntime& runtime, const task::TaskSpec& before,
                     const task::TaskSpec& after) {
  if (after.vod_refresh_type == task::VodRefreshType::immediate_new_source ||
      runtime.file_index >= static_cast<int64_t>(before.source_urls.size())) {
    runtime.file_index = after.vod_start_video_index;
    runtime.file_offset_seconds = static_cast<double>(after.vod_start_video_time);
    runtime.looped_times = 0;
    return;
  }
  const std::string& playing = before.source_urls[static_cast<size_t>(runtime.file_index)];
  auto found = std::find(after.source_urls.begin(), after.source_urls.end(), playing);
  bool keeps_offset = after.vod_refresh_type == task::VodRefreshType::continue_from_break_point;
  if (found == after.source_urls.end()) {
    runtime.file_index = 0;
    runtime.file_offset_seconds = 0;
    return;
  }
  runtime.file_index = found - after.source_urls.begin();
  if (!keeps_offset) runtime.file_offset_seconds = 0;
}

}  // namespace

Supervisor::Supervisor(store::Store& store, const task::Clock& clock, RelayFactory& factory,
                       SupervisorSettings settings)
    : store_(store),
      clock_(clock),
      factory_(factory),
      settings_(std::move(settings)),
      is_clustered_(store.is_shared()),
      leases_(store, settings_.node, settings_.lease_ttl, settings_.lease_interval) {}

Supervisor::~Supervisor() {
  stop();
}

void Supervisor::start() {
  // The first look at the store happens before the caller serves the API: what a crashed
  // process left (relays reported flowing) is replaced by this one's own report at once, so a
  // task never reads as running before its relay runs again. That look is made on the
  // supervisor's own thread, so what it reads lives in that thread's malloc arena: made on the
  // caller's, which goes on to serve HTTP, a million tasks (1.7 GB) shared the requests' heap and
  // malloc took 7% of a list's time instead of 1.5%.
  thread_ = std::thread([this] {
    tick_guarded();
    {
      std::lock_guard lock(mutex_);
      has_started_ = true;
    }
    wake_.notify_all();
    run();
  });
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [this] { return has_started_; });
}

void Supervisor::tick_guarded() {
  has_ticked_ = true;
  try {
    tick();
  } catch (const std::exception& error) {
    // A failing store must not end scheduling: the next tick tries again.
    on_tick_failed(error.what());
  }
}

void Supervisor::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stop_requested_) return;  // stopped before (the destructor after an explicit stop)
    stop_requested_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (has_ticked_) shut_down();
}

void Supervisor::on_tasks_changed() {
  {
    std::lock_guard lock(mutex_);
    has_changes_ = true;
  }
  wake_.notify_all();
}

void Supervisor::on_relay_event(const std::string& task_id, const media::RelayEvent& event) {
  std::lock_guard lock(mutex_);
  pending_events_.push_back({task_id, event});
}

void Supervisor::run() {
  for (;;) {  // start() made the first tick
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, settings_.poll_interval,
                     [this] { return has_changes_ || stop_requested_; });
      has_changes_ = false;
      if (stop_requested_) break;
    }
    tick_guarded();
  }
}

void Supervisor::shut_down() {
  for (auto& [id, entry] : entries_) stop_relay(entry);
  stopping_.clear();  // waits for every relay's legs to end
  try {
    int64_t now = clock_.now_seconds();
    record_relay_events(now);
    write_runtimes(now);
    // Every relay has stopped: the others may take the tasks over at once.
    if (is_clustered_) store_.release_leases(settings_.node.node_id);
  } catch (const std::exception& error) {
    spdlog::error("event=final_write_failed error=\"{}\"", error.what());
  }
  running_relays_ = 0;
}

void Supervisor::tick() {
  load_changes();
  int64_t now = clock_.now_seconds();
  record_relay_events(now);
  while (!wake_at_.empty() && wake_at_.begin()->first <= now) {
    const std::string& id = wake_at_.begin()->second;
    auto found = entries_.find(id);
    if (found != entries_.end()) found->second.wake_at = 0;
    due_.insert(id);
    wake_at_.erase(wake_at_.begin());
  }
  due_.insert(relayed_.begin(), relayed_.end());
  if (is_clustered_) {
    bool wants_more = std::any_of(due_.begin(), due_.end(), [&](const std::string& id) {
      auto found = entries_.find(id);
      return found != entries_.end() && !is_owned(id) &&
             task::should_run(found->second.record, now);
    });
    renew_leases(wants_more);
  }
  for (const std::string& id : due_) {
    auto found = entries_.find(id);
    if (found == entries_.end()) continue;
    Entry& entry = found->second;
    reconcile(entry, now);
    if (entry.record.is_deleted && !entry.relay) {
      if (!entry.is_purge_pending) purges_.push_back(id);
      entry.is_purge_pending = true;
    } else if (!entry.relay) {
      schedule(entry, now);
    }
  }
  empty(due_);
  purge_deleted(now);
  reap_stopped_relays();
  auto since_write = std::chrono::steady_clock::now() - last_runtime_write_;
  if (since_write >= settings_.runtime_interval) write_runtimes(now);
  count_statuses(now);
  apply_retention(now);
}

void Supervisor::purge_deleted(int64_t now) {
  auto at = std::chrono::steady_clock::now();
  if (purges_.empty() || at - last_purge_ < settings_.purge_interval) return;
  last_purge_ = at;
  // One write of a few at a time: a burst of deletes is purged in small writes spread apart, none
  // holding the store's writer much longer than a request's own would.
  constexpr size_t kPerWrite = 64;
  size_t count = std::min(kPerWrite, purges_.size());
  std::vector<std::string> batch(purges_.end() - static_cast<std::ptrdiff_t>(count), purges_.end());
  store_.purge_tasks(batch, now);  // should it fail, they are tried again at the next tick
  purges_.resize(purges_.size() - count);
  for (const std::string& id : batch) {
    spdlog::info("task_id={} event=task_deleted", id);
    dirty_.erase(id);
    auto found = entries_.find(id);
    forget_wake(found->second);
    entries_.erase(found);
  }
  known_tasks_ = entries_.size();
}

void Supervisor::apply_retention(int64_t now) {
  // A pass removes this many rows at most, so a long backlog never holds the store for long.
  constexpr int64_t kRowsPerPass = 5000;
  constexpr int kPassesPerTick = 10;
  auto at = std::chrono::steady_clock::now();
  if (at - last_retention_ < settings_.retention_interval) return;
  last_retention_ = at;
  store::RetentionPass total;
  for (int i = 0; i < kPassesPerTick; ++i) {
    store::RetentionPass pass = store_.apply_retention(now, kRowsPerPass);
    total.events += pass.events;
    total.tasks += pass.tasks;
    if (pass.events < kRowsPerPass && pass.tasks < kRowsPerPass) break;
  }
  if (total.events > 0 || total.tasks > 0) {
    spdlog::debug("event=retention_applied events_removed={} deleted_tasks_removed={}",
                  total.events, total.tasks);
  }
}

void Supervisor::count_statuses(int64_t now) {
  // A walk of every task, every 2 s on most nodes, a slice of it a tick (status_count_slice);
  // spaced so that it takes no more than a 500th of the time on a big one (a million tasks take
  // about 100 ms, which also leaves less of the memory caches to the requests).
  constexpr size_t kBucketsPerClockRead = 256;
  auto at = std::chrono::steady_clock::now();
  if (!walk_.is_walking) {
    if (at - last_status_count_ < status_count_interval_) return;
    walk_ = {};
    walk_.is_walking = true;
  }
  if (walk_.bucket_count != entries_.bucket_count()) {
    walk_.counts = {};  // rehashed since the last slice: every task is in another bucket now
    walk_.bucket_count = entries_.bucket_count();
    walk_.next_bucket = 0;
  }
  while (walk_.next_bucket < walk_.bucket_count) {
    size_t bucket = walk_.next_bucket++;
    for (auto it = entries_.cbegin(bucket); it != entries_.cend(bucket); ++it) {
      const auto& [id, entry] = *it;
      if (entry.record.is_deleted || (is_clustered_ && !leases_.holds(id))) continue;
      ++walk_.counts[static_cast<size_t>(task::derive_status(entry.record, now))];
    }
    if (walk_.next_bucket % kBucketsPerClockRead != 0) continue;
    auto spent = std::chrono::steady_clock::now() - at;
    if (spent >= settings_.status_count_slice) {
      walk_.spent += spent;
      return;  // the next tick goes on from here
    }
  }
  walk_.is_walking = false;
  last_status_count_ = std::chrono::steady_clock::now();
  walk_.spent += last_status_count_ - at;
  status_count_interval_ =
      std::max<std::chrono::steady_clock::duration>(std::chrono::seconds(2), walk_.spent * 500);
  std::map<std::string, int64_t> named;
  for (size_t i = 0; i < walk_.counts.size(); ++i) {
    named[std::string(task::to_string(static_cast<task::TaskStatus>(i)))] = walk_.counts[i];
  }
  std::lock_guard lock(counts_mutex_);
  status_counts_ = std::move(named);
}

std::map<std::string, int64_t> Supervisor::status_counts() {
  std::lock_guard lock(counts_mutex_);
  return status_counts_;
}

void Supervisor::load_changes() {
  std::vector<task::TaskRecord> changed;
  do {
    changed = store_.tasks_changed_since(revision_, settings_.load_batch);
    for (task::TaskRecord& record : changed) load_change(std::move(record));
    known_tasks_ = entries_.size();
  } while (static_cast<int64_t>(changed.size()) == settings_.load_batch);
}

void Supervisor::load_change(task::TaskRecord record) {
  revision_ = std::max(revision_, record.revision);
  auto found = entries_.find(record.spec.task_id);
  due_.insert(record.spec.task_id);
  if (found == entries_.end()) {
    entries_[record.spec.task_id].record = std::move(record);
    return;
  }
  Entry& entry = found->second;
  task::TaskSpec before = entry.record.spec;
  task::TaskRuntime runtime = entry.record.runtime;  // ours is fresher than the store's
  entry.record = std::move(record);
  entry.record.runtime = runtime;
  mark_dirty(entry);
  on_spec_changed(entry, before);
}

void Supervisor::on_spec_changed(Entry& entry, const task::TaskSpec& before) {
  const task::TaskSpec& after = entry.record.spec;
  if (!entry.relay && after.is_vod() && before.source_urls != after.source_urls &&
      entry.record.runtime.started_at > 0) {
    move_breakpoint(entry.record.runtime, before, after);
  }
}

void Supervisor::reconcile(Entry& entry, int64_t now) {
  task::TaskRecord& record = entry.record;
  bool is_active = !record.is_deleted && record.finish_reason == task::FinishReason::none;
  if (is_active && now >= record.spec.end_time) {
    finish(entry, task::FinishReason::end_time_reached, now);
  } else if (is_active && entry.relay &&
             entry.relay->snapshot().phase == media::RelayPhase::finished) {
    finish(entry, task::FinishReason::loop_finished, now);
  }
  if (entry.relay && entry.relay->has_failed()) {
    spdlog::error("task_id={} event=relay_failed note=\"restarting it\"", record.spec.task_id);
    stop_relay(entry);
  }
  if (!is_owned(record.spec.task_id)) {
    stop_relay(entry);  // another node runs it (or nobody yet)
    return;
  }
  bool is_in_window = !record.is_deleted && record.finish_reason == task::FinishReason::none &&
                      record.spec.start_time <= now && now < record.spec.end_time;
  // A paused playlist keeps its destination session, so enabling it needs no reconnect.
  if (record.spec.is_paused && record.spec.is_vod() && is_in_window && entry.relay) {
    if (!entry.is_relay_paused) {
      entry.relay->set_paused(true);
      entry.is_relay_paused = true;
    }
    return;
  }
  if (!task::should_run(record, now)) {
    stop_relay(entry);
    if (record.runtime.relay_state != task::RelayState::idle) {
      record.runtime.relay_state = task::RelayState::idle;  // e.g. as left by a crash
      record.runtime.bitrate_kbps = 0;
      mark_dirty(entry);
    }
    return;
  }
  if (!entry.relay) {
    start_relay(entry);
    return;
  }
  if (entry.is_relay_paused) {
    entry.relay->set_paused(false);
    entry.is_relay_paused = false;
  }
  update_relay(entry);
}

void Supervisor::finish(Entry& entry, task::FinishReason reason, int64_t now) {
  std::string reason_name(task::to_string(reason));
  store::Events events = {task::task_exit_event(entry.record.spec, reason_name, "", now)};
  if (store_.finish_task(entry.record.spec.task_id, reason, entry.record.revision, events)) {
    entry.record.finish_reason = reason;
    if (reason == task::FinishReason::loop_finished) {
      entry.record.runtime.looped_times = entry.record.spec.vod_loop_time;
      entry.record.runtime.file_offset_seconds = 0;
      mark_dirty(entry);
    }
    spdlog::info("task_id={} event=task_finished reason={}", entry.record.spec.task_id,
                 reason_name);
  }
}

void Supervisor::mark_dirty(const Entry& entry) {
  dirty_.insert(entry.record.spec.task_id);
}

void Supervisor::schedule(Entry& entry, int64_t now) {
  const task::TaskRecord& record = entry.record;
  if (record.is_deleted || record.finish_reason != task::FinishReason::none) return;
  int64_t when = now < record.spec.start_time ? record.spec.start_time : record.spec.end_time;
  if (when > now) wake_later(entry, when);
}

void Supervisor::wake_later(Entry& entry, int64_t when) {
  // One wake per task, the earliest: a look that turns out early schedules the next one.
  if (entry.wake_at != 0 && entry.wake_at <= when) return;
  forget_wake(entry);
  wake_at_.emplace(when, entry.record.spec.task_id);
  entry.wake_at = when;
}

void Supervisor::forget_wake(Entry& entry) {
  if (entry.wake_at == 0) return;
  wake_at_.erase({entry.wake_at, entry.record.spec.task_id});
  entry.wake_at = 0;
}

void Supervisor::start_relay(Entry& entry) {
  entry.relay = factory_.make_relay(entry.record, *this);
  if (!entry.relay) return;
  relayed_.insert(entry.record.spec.task_id);
  entry.relayed_spec = std::make_unique<task::TaskSpec>(entry.record.spec);
  entry.is_relay_paused = false;
  entry.relay_started = std::chrono::steady_clock::now();
  task::TaskRuntime& runtime = entry.record.runtime;
  runtime.relay_state = task::RelayState::starting;
  runtime.bytes_in = runtime.bytes_out = runtime.bitrate_kbps = runtime.reconnects = 0;
  runtime.last_error.clear();
  mark_dirty(entry);
  try {
    entry.relay->start();
  } catch (const std::exception& error) {
    // Out of threads or memory: this task reads failing and is tried again later; the other
    // tasks of the tick go on.
    entry.relay.reset();  // stops and joins what had started
    relayed_.erase(entry.record.spec.task_id);
    runtime.relay_state = task::RelayState::failing;
    runtime.last_error = std::string("cannot start the relay: ") + error.what();
    wake_later(entry, clock_.now_seconds() + kStartRetrySeconds);
    spdlog::error("task_id={} event=relay_start_failed error=\"{}\" retry_in_s={}",
                  entry.record.spec.task_id, error.what(), kStartRetrySeconds);
    return;
  }
  ++running_relays_;
  spdlog::info("task_id={} event=relay_starting", entry.record.spec.task_id);
}

bool Supervisor::is_start_overdue(const Entry& entry, media::RelayPhase phase) const {
  return phase == media::RelayPhase::starting && !entry.is_relay_paused &&
         std::chrono::steady_clock::now() - entry.relay_started > settings_.start_grace;
}

void Supervisor::stop_relay(Entry& entry) {
  if (!entry.relay) return;
  entry.relay->request_stop();
  stopping_.push_back(std::move(entry.relay));
  entry.relayed_spec.reset();
  relayed_.erase(entry.record.spec.task_id);
  entry.is_relay_paused = false;
  entry.record.runtime.relay_state = task::RelayState::idle;
  entry.record.runtime.bitrate_kbps = 0;
  mark_dirty(entry);
  --running_relays_;
  spdlog::info("task_id={} event=relay_stopping", entry.record.spec.task_id);
}

void Supervisor::update_relay(Entry& entry) {
  const task::TaskSpec& spec = entry.record.spec;
  task::TaskSpec& relayed = *entry.relayed_spec;
  if (spec.source_urls != relayed.source_urls) {
    media::SourceUpdate update{source_urls_of(spec.source_urls),
                               refresh_mode_of(spec.vod_refresh_type), spec.vod_start_video_index,
                               spec.vod_start_video_time * 1000};
    entry.relay->update_sources(update);
    spdlog::info("task_id={} event=sources_updated refresh={}", spec.task_id,
                 task::to_string(spec.vod_refresh_type));
  }
  if (spec.vod_loop_time != relayed.vod_loop_time) entry.relay->set_loop_limit(spec.vod_loop_time);
  relayed = spec;
}

void Supervisor::reap_stopped_relays() {
  // Relays that come and go leave holes in the heaps of the loops they ran on (their buffers
  // lived beside those of relays that stay): the free pages go back at most this often.
  constexpr auto kTrimEvery = std::chrono::seconds(30);
  has_freed_relays_ |= std::erase_if(stopping_, [](const std::unique_ptr<media::Relay>& relay) {
                         return relay->has_stopped();
                       }) > 0;
  auto at = std::chrono::steady_clock::now();
  if (has_freed_relays_ && at - last_trim_ >= kTrimEvery) {
    observe::return_freed_memory_to_system();
    has_freed_relays_ = false;
    last_trim_ = at;
  }
}

void Supervisor::record_relay_events(int64_t now) {
  std::vector<PendingEvent> pending;
  {
    std::lock_guard lock(mutex_);
    pending.swap(pending_events_);
  }
  store::Events events;
  for (const PendingEvent& item : pending) {
    auto found = entries_.find(item.task_id);
    if (found == entries_.end()) continue;  // deleted meanwhile
    const media::RelayEvent& event = item.event;
    if (event.kind == media::RelayEventKind::failover_to_backup) {
      observe::metrics().failovers.add({{"to", "standby"}});
    } else if (event.kind == media::RelayEventKind::failback_to_primary) {
      observe::metrics().failovers.add({{"to", "primary"}});
    }
    const Entry& entry = found->second;
    std::string source = entry.relay && event.kind == media::RelayEventKind::started
                             ? entry.relay->snapshot().source_url
                             : "";
    if (auto task_event = task_event_of(entry.record.spec, event, source, now)) {
      events.push_back(std::move(*task_event));
    }
  }
  if (events.empty()) return;
  try {
    store_.append_events(events);
  } catch (...) {
    // Kept for the next tick rather than lost while the store is down.
    std::lock_guard lock(mutex_);
    pending_events_.insert(pending_events_.begin(), pending.begin(), pending.end());
    throw;
  }
}

void Supervisor::write_runtimes(int64_t now) {
  last_runtime_write_ = std::chrono::steady_clock::now();
  dirty_.insert(relayed_.begin(), relayed_.end());
  std::vector<store::RuntimeUpdate> updates;
  for (const std::string& id : dirty_) {
    auto found = entries_.find(id);
    if (found == entries_.end() || found->second.record.is_deleted || !is_owned(id)) continue;
    Entry& entry = found->second;
    task::TaskRuntime& runtime = entry.record.runtime;
    if (entry.relay) {
      media::RelaySnapshot snap = entry.relay->snapshot();
      apply_snapshot(runtime, snap, is_start_overdue(entry, snap.phase),
                     entry.record.finish_reason != task::FinishReason::none);
    }
    runtime.updated_at = now;
    updates.push_back({id, runtime, leases_.epoch_of(id)});
  }
  empty(dirty_);
  store_.save_runtimes(updates);
}

void Supervisor::renew_leases(bool is_urgent) {
  auto renewal = leases_.renew(is_urgent);
  if (!renewal) return;
  for (const std::string& id : renewal->changed_hands) {
    auto entry = entries_.find(id);
    if (entry != entries_.end()) stop_relay(entry->second);  // someone else's meanwhile: afresh
  }
  for (const auto& [id, epoch] : renewal->lost) {
    due_.insert(id);
    if (relayed_.contains(id)) {
      spdlog::warn("task_id={} event=lease_lost node={} epoch={}", id, settings_.node.node_id,
                   epoch);
    }
  }
  for (const std::string& id : renewal->claimed) {
    // A task taken over resumes where its last owner left it (a playlist's breakpoint); until
    // that is read, it is not started.
    auto entry = entries_.find(id);
    try {
      if (entry != entries_.end()) {
        if (auto runtime = store_.stored_runtime(id)) entry->second.record.runtime = *runtime;
      }
    } catch (const std::exception&) {
      leases_.forget(id);  // seen as newly claimed again at the next renewal
      throw;
    }
    due_.insert(id);
    spdlog::info("task_id={} event=lease_acquired node={} epoch={}", id, settings_.node.node_id,
                 leases_.epoch_of(id));
  }
}

void Supervisor::on_tick_failed(const std::string& error) {
  // Said once every few seconds while the store stays down, not on every tick.
  constexpr auto kLogEvery = std::chrono::seconds(5);
  auto now = std::chrono::steady_clock::now();
  ++failed_ticks_;
  if (now - last_failure_log_ >= kLogEvery) {
    spdlog::error("event=supervisor_tick_failed failures={} error=\"{}\"", failed_ticks_, error);
    last_failure_log_ = now;
    failed_ticks_ = 0;
  }
  // Without the store a node cannot tell whether its leases still hold: it stops its relays
  // before they could run out, so another node never pushes the same task alongside it.
  if (is_clustered_ && leases_.is_at_risk()) give_up_leases(error);
}

void Supervisor::give_up_leases(const std::string& reason) {
  spdlog::error("event=leases_given_up node={} tasks={} error=\"{}\"", settings_.node.node_id,
                leases_.count(), reason);
  for (const std::string& id : leases_.give_up()) {
    auto found = entries_.find(id);
    if (found != entries_.end()) stop_relay(found->second);
  }
}

}  // namespace streamrelay::control
