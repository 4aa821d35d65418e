#pragma once

#include <chrono>
#include <string>

#include "observe/metrics.h"
#include "store/store.h"

namespace streamrelay::store {

// A Store that times every call of the one it wraps into the store latency histogram.
class TimedStore final : public Store {
 public:
  explicit TimedStore(Store& inner) : inner_(inner) {}

  task::Status create_task(const task::TaskSpec& spec, const std::string& destination_key,
                           int64_t now, int64_t max_active) override {
    return timed("create_task",
                 [&] { return inner_.create_task(spec, destination_key, now, max_active); });
  }
  std::optional<task::TaskRecord> find_task(const std::string& project_id,
                                            const std::string& task_id) override {
    return timed("find_task", [&] { return inner_.find_task(project_id, task_id); });
  }
  TaskPage list_tasks(const std::string& project_id, const task::ListQuery& query) override {
    return timed("list_tasks", [&] { return inner_.list_tasks(project_id, query); });
  }
  task::Status update_task(const task::TaskSpec& spec, int64_t expected_revision, bool is_revived,
                           const std::string& destination_key, int64_t now,
                           const Events& events) override {
    return timed("update_task", [&] {
      return inner_.update_task(spec, expected_revision, is_revived, destination_key, now, events);
    });
  }
  task::Status delete_task(const std::string& project_id, const std::string& task_id,
                           const Events& events) override {
    return timed("delete_task", [&] { return inner_.delete_task(project_id, task_id, events); });
  }
  std::vector<task::TaskRecord> tasks_changed_since(int64_t revision, int64_t limit) override {
    return timed("tasks_changed_since",
                 [&] { return inner_.tasks_changed_since(revision, limit); });
  }
  bool finish_task(const std::string& task_id, task::FinishReason reason, int64_t expected_revision,
                   const Events& events) override {
    return timed("finish_task",
                 [&] { return inner_.finish_task(task_id, reason, expected_revision, events); });
  }
  void append_events(const Events& events) override {
    timed("append_events", [&] { inner_.append_events(events); });
  }
  std::vector<StoredEvent> task_events(const std::string& task_id, int64_t limit) override {
    return timed("task_events", [&] { return inner_.task_events(task_id, limit); });
  }
  std::vector<StoredEvent> due_events(int64_t now, int64_t limit) override {
    return timed("due_events", [&] { return inner_.due_events(now, limit); });
  }
  int64_t pending_event_count() override {
    return timed("pending_event_count", [&] { return inner_.pending_event_count(); });
  }
  void mark_event_delivered(const std::string& event_id) override {
    timed("mark_event_delivered", [&] { inner_.mark_event_delivered(event_id); });
  }
  void mark_event_failed(const std::string& event_id, int64_t next_attempt_at,
                         const std::string& error, bool is_expired) override {
    timed("mark_event_failed",
          [&] { inner_.mark_event_failed(event_id, next_attempt_at, error, is_expired); });
  }
  void save_runtimes(const std::vector<RuntimeUpdate>& updates) override {
    timed("save_runtimes", [&] { inner_.save_runtimes(updates); });
  }
  void purge_tasks(const std::vector<std::string>& task_ids, int64_t now) override {
    timed("purge_tasks", [&] { inner_.purge_tasks(task_ids, now); });
  }
  RetentionPass apply_retention(int64_t now, int64_t limit) override {
    return timed("apply_retention", [&] { return inner_.apply_retention(now, limit); });
  }
  void set_retention(const Retention& retention) override {
    Store::set_retention(retention);
    inner_.set_retention(retention);
  }
  std::optional<task::TaskRuntime> stored_runtime(const std::string& task_id) override {
    return timed("stored_runtime", [&] { return inner_.stored_runtime(task_id); });
  }
  int schema_version() override {
    return timed("schema_version", [&] { return inner_.schema_version(); });
  }
  bool is_shared() const override { return inner_.is_shared(); }
  std::vector<Lease> acquire_leases(const NodeInfo& node, int64_t now_ms, int64_t ttl_ms) override {
    return timed("acquire_leases", [&] { return inner_.acquire_leases(node, now_ms, ttl_ms); });
  }
  void release_leases(const std::string& node_id) override {
    timed("release_leases", [&] { inner_.release_leases(node_id); });
  }

 private:
  template <typename Call>
  static auto timed(const char* operation, Call call) -> decltype(call()) {
    // Timed even when the call throws, so a failing database shows in the latencies.
    struct Timer {
      const char* operation;
      std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
      ~Timer() {
        std::chrono::duration<double> spent = std::chrono::steady_clock::now() - started;
        observe::metrics().store_latency.observe({{"operation", operation}}, spent.count());
      }
    } timer{operation};
    return call();
  }

  Store& inner_;
};

}  // namespace streamrelay::store
