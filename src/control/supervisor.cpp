#include "control/supervisor.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace streamrelay::control {
namespace {

task::RelayState relay_state_of(media::RelayPhase phase) {
  switch (phase) {
    case media::RelayPhase::starting:
      return task::RelayState::starting;
    case media::RelayPhase::flowing:
      return task::RelayState::flowing;
    case media::RelayPhase::failing:
      return task::RelayState::failing;
    case media::RelayPhase::finished:
      return task::RelayState::idle;
  }
  return task::RelayState::idle;
}

const char* event_name(media::RelayEventKind kind) {
  switch (kind) {
    case media::RelayEventKind::started:
      return "relay_started";
    case media::RelayEventKind::source_interrupted:
      return "source_interrupted";
    case media::RelayEventKind::source_recovered:
      return "source_recovered";
    case media::RelayEventKind::source_unsupported:
      return "source_unsupported";
    case media::RelayEventKind::push_failed:
      return "push_failed";
    case media::RelayEventKind::push_recovered:
      return "push_recovered";
  }
  return "relay_event";
}

}  // namespace

Supervisor::Supervisor(store::Store& store, const task::Clock& clock, RelayFactory& factory,
                       SupervisorSettings settings)
    : store_(store), clock_(clock), factory_(factory), settings_(settings) {}

Supervisor::~Supervisor() {
  stop();
}

void Supervisor::start() {
  thread_ = std::thread([this] { run(); });
}

void Supervisor::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Supervisor::on_tasks_changed() {
  {
    std::lock_guard lock(mutex_);
    has_changes_ = true;
  }
  wake_.notify_all();
}

void Supervisor::on_relay_event(const std::string& task_id, const media::RelayEvent& event) {
  bool is_alarm = event.kind != media::RelayEventKind::started &&
                  event.kind != media::RelayEventKind::source_recovered &&
                  event.kind != media::RelayEventKind::push_recovered;
  auto level = is_alarm ? spdlog::level::warn : spdlog::level::info;
  spdlog::log(level, "task_id={} event={} url={} error=\"{}\"", task_id, event_name(event.kind),
              event.url, event.error);
}

void Supervisor::run() {
  for (;;) {
    try {
      tick();
    } catch (const std::exception& error) {
      // A failing store must not end scheduling: the next tick tries again.
      spdlog::error("event=supervisor_tick_failed error=\"{}\"", error.what());
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, settings_.poll_interval,
                   [this] { return has_changes_ || stop_requested_; });
    has_changes_ = false;
    if (stop_requested_) break;
  }
  for (auto& [id, entry] : entries_) stop_relay(entry);
  stopping_.clear();  // joins every relay's threads
  try {
    write_runtimes(clock_.now_seconds());
  } catch (const std::exception& error) {
    spdlog::error("event=runtime_write_failed error=\"{}\"", error.what());
  }
  running_relays_ = 0;
}

void Supervisor::tick() {
  load_changes();
  int64_t now = clock_.now_seconds();
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& entry = it->second;
    reconcile(entry, now);
    if (entry.record.is_deleted && !entry.relay) {
      store_.purge_task(entry.record.spec.task_id);
      spdlog::info("task_id={} event=task_deleted", entry.record.spec.task_id);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  reap_stopped_relays();
  auto since_write = std::chrono::steady_clock::now() - last_runtime_write_;
  if (since_write >= settings_.runtime_interval) write_runtimes(now);
}

void Supervisor::load_changes() {
  for (task::TaskRecord& record : store_.tasks_changed_since(revision_)) {
    revision_ = std::max(revision_, record.revision);
    Entry& entry = entries_[record.spec.task_id];
    task::TaskRuntime runtime = entry.relay ? entry.record.runtime : record.runtime;
    entry.record = std::move(record);
    entry.record.runtime = runtime;
    entry.is_runtime_dirty = true;
  }
}

void Supervisor::reconcile(Entry& entry, int64_t now) {
  task::TaskRecord& record = entry.record;
  if (!record.is_deleted && record.finish_reason == task::FinishReason::none &&
      now >= record.spec.end_time) {
    if (store_.finish_task(record.spec.task_id, task::FinishReason::end_time_reached,
                           record.revision)) {
      record.finish_reason = task::FinishReason::end_time_reached;
      spdlog::info("task_id={} event=task_finished reason=EndTimeReached", record.spec.task_id);
    }
  }
  bool should_run = task::should_run(record, now);
  if (!should_run) {
    if (entry.relay) stop_relay(entry);
    return;
  }
  if (entry.relay && entry.relay->has_failed()) {
    spdlog::error("task_id={} event=relay_failed note=\"restarting it\"", record.spec.task_id);
    stop_relay(entry);
  }
  if (!entry.relay) {
    start_relay(entry);
  } else if (entry.relayed_sources != record.spec.source_urls) {
    entry.relay->replace_sources(source_urls_of(record.spec));
    entry.relayed_sources = record.spec.source_urls;
    spdlog::info("task_id={} event=sources_replaced", record.spec.task_id);
  }
}

void Supervisor::start_relay(Entry& entry) {
  entry.relay = factory_.make_relay(entry.record.spec, *this);
  if (!entry.relay) return;
  entry.relayed_sources = entry.record.spec.source_urls;
  entry.record.runtime = task::TaskRuntime{};
  entry.record.runtime.relay_state = task::RelayState::starting;
  entry.is_runtime_dirty = true;
  entry.relay->start();
  ++running_relays_;
  spdlog::info("task_id={} event=relay_starting", entry.record.spec.task_id);
}

void Supervisor::stop_relay(Entry& entry) {
  if (!entry.relay) return;
  entry.relay->request_stop();
  stopping_.push_back(std::move(entry.relay));
  entry.record.runtime.relay_state = task::RelayState::idle;
  entry.record.runtime.bitrate_kbps = 0;
  entry.is_runtime_dirty = true;
  --running_relays_;
  spdlog::info("task_id={} event=relay_stopping", entry.record.spec.task_id);
}

void Supervisor::reap_stopped_relays() {
  std::erase_if(stopping_,
                [](const std::unique_ptr<media::Relay>& relay) { return relay->has_stopped(); });
}

void Supervisor::write_runtimes(int64_t now) {
  last_runtime_write_ = std::chrono::steady_clock::now();
  std::vector<store::RuntimeUpdate> updates;
  for (auto& [id, entry] : entries_) {
    if (entry.record.is_deleted) continue;
    task::TaskRuntime& runtime = entry.record.runtime;
    if (entry.relay) {
      media::RelaySnapshot snap = entry.relay->snapshot();
      runtime.relay_state = relay_state_of(snap.phase);
      runtime.source = snap.source_role;
      runtime.source_url = snap.source_url;
      runtime.started_at = snap.started_at;
      runtime.last_error = snap.last_error;
      runtime.bytes_in = snap.bytes_in;
      runtime.bytes_out = snap.bytes_out;
      runtime.bitrate_kbps = snap.bitrate_kbps;
      runtime.reconnects = snap.reconnects;
      entry.is_runtime_dirty = true;
    } else if (runtime.relay_state != task::RelayState::idle) {
      runtime.relay_state = task::RelayState::idle;
      runtime.bitrate_kbps = 0;
      entry.is_runtime_dirty = true;
    }
    if (!entry.is_runtime_dirty) continue;
    runtime.updated_at = now;
    updates.push_back({id, runtime});
    entry.is_runtime_dirty = false;
  }
  store_.save_runtimes(updates);
}

}  // namespace streamrelay::control
