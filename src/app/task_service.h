#pragma once

#include <atomic>

#include <string>

#include "store/store.h"
#include "task/change_listener.h"
#include "task/clock.h"
#include "task/error.h"
#include "task/requests.h"
#include "task/validation.h"

namespace streamrelay::app {

using task::ChangeListener;
using task::Clock;
using task::CreateRequest;
using task::ListRequest;
using task::MediaRoots;
using task::ModifyRequest;
using task::Result;
using task::TaskRecord;
using task::TaskSpec;
using task::ValidationContext;

struct TaskServiceSettings {
  std::string default_region = "local";
  std::vector<std::string> served_regions;  // empty: every region
  MediaRoots media_roots;
  net::EgressPolicy egress;
  int64_t project_task_quota = 1000;  // active tasks per project; 0: no limit
};

// The four operations of the contract, on top of the store: validation, defaults, state rules.
class TaskService {
 public:
  TaskService(store::Store& store, const Clock& clock, TaskServiceSettings settings);

  void set_listener(ChangeListener* listener) { listener_ = listener; }

  Result<std::string> create(const std::string& project_id, const CreateRequest& request);
  Result<store::TaskPage> list(const std::string& project_id, const ListRequest& request);
  Result<std::string> modify(const std::string& project_id, const ModifyRequest& request);
  Result<std::string> remove(const std::string& project_id,
                             const std::optional<std::string>& task_id,
                             const std::optional<std::string>& region);

  // A task's most recent events (its callbacks and their delivery), oldest first.
  Result<std::vector<store::StoredEvent>> events(const std::string& project_id,
                                                 const std::optional<std::string>& task_id,
                                                 const std::optional<std::string>& limit);
  // How far back events can be seen (what the store keeps).
  const store::Retention& event_retention() const { return store_.retention(); }

  int64_t now() const { return clock_.now_seconds(); }

  // Which hosts new URLs may name from now on (a reload of the egress settings).
  void set_egress(const net::EgressPolicy& egress) {
    allows_private_egress_ = egress.allows_private;
    allows_loopback_egress_ = egress.allows_loopback;
  }

 private:
  ValidationContext context() const;
  Result<TaskRecord> find(const std::string& project_id, const std::string& task_id,
                          const std::optional<std::string>& region);
  void notify();
  store::Events modify_events(const TaskRecord& before, const TaskSpec& after, int64_t now) const;

  store::Store& store_;
  const Clock& clock_;
  TaskServiceSettings settings_;
  std::atomic<bool> allows_private_egress_;  // settings_.egress, replaced by a reload
  std::atomic<bool> allows_loopback_egress_;
  ChangeListener* listener_ = nullptr;
};

}  // namespace streamrelay::app
