#include "app/task_service.h"

#include <cstdlib>

#include "task/destination.h"
#include "task/task_event.h"
#include "task/time_format.h"
#include "task/uuid.h"

namespace streamrelay::app {

using namespace task;  // the domain this service drives
namespace {

// A modify that lost a race with another writer re-reads and tries again this many times.
constexpr int kModifyAttempts = 5;

Error not_found(const std::string& task_id) {
  return {ErrorKind::not_found, "task_id " + task_id + " does not exist in this project"};
}

}  // namespace

TaskService::TaskService(store::Store& store, const Clock& clock, TaskServiceSettings settings)
    : store_(store),
      clock_(clock),
      settings_(std::move(settings)),
      allows_private_egress_(settings_.egress.allows_private),
      allows_loopback_egress_(settings_.egress.allows_loopback) {}

ValidationContext TaskService::context() const {
  ValidationContext context;
  context.now = clock_.now_seconds();
  context.default_region = settings_.default_region;
  context.served_regions = settings_.served_regions;
  context.media_roots = settings_.media_roots;
  context.egress = {allows_private_egress_.load(), allows_loopback_egress_.load()};
  return context;
}

void TaskService::notify() {
  if (listener_) listener_->on_tasks_changed();
}

Result<std::string> TaskService::create(const std::string& project_id,
                                        const CreateRequest& request) {
  ValidationContext ctx = context();
  auto spec = build_spec(request, ctx);
  if (!spec) return spec.error();
  spec->task_id = new_uuid();
  spec->project_id = project_id;
  spec->create_time = ctx.now;
  if (auto status =
          store_.create_task(*spec, destination_key(*spec), ctx.now, settings_.project_task_quota);
      !status) {
    return status.error();
  }
  notify();
  return spec->task_id;
}

Result<store::TaskPage> TaskService::list(const std::string& project_id,
                                          const ListRequest& request) {
  auto query = parse_list_query(request);
  if (!query) return query.error();
  store::TaskPage page = store_.list_tasks(project_id, *query);
  if (query->task_id && page.total == 0) return not_found(*query->task_id);
  return page;
}

Result<std::vector<store::StoredEvent>> TaskService::events(
    const std::string& project_id, const std::optional<std::string>& task_id,
    const std::optional<std::string>& limit) {
  constexpr int64_t kMaxEvents = 200;  // a page a console shows, not an export
  if (!task_id || task_id->empty()) return invalid("task_id is required");
  int64_t count = 50;
  if (limit) {
    char* end = nullptr;
    count = std::strtoll(limit->c_str(), &end, 10);
    if (limit->empty() || *end != '\0' || count < 1 || count > kMaxEvents) {
      return invalid("limit must be an integer from 1 to " + std::to_string(kMaxEvents));
    }
  }
  auto record = find(project_id, *task_id, std::nullopt);
  if (!record) return record.error();
  return store_.task_events(*task_id, count);
}

Result<TaskRecord> TaskService::find(const std::string& project_id, const std::string& task_id,
                                     const std::optional<std::string>& region) {
  auto record = store_.find_task(project_id, task_id);
  if (!record || (region && !region->empty() && *region != record->spec.region)) {
    return not_found(task_id);
  }
  return *record;
}

store::Events TaskService::modify_events(const TaskRecord& before, const TaskSpec& after,
                                         int64_t now) const {
  store::Events events;
  if (after.is_vod() && !changed_fields(before.spec, after).empty()) {
    events.push_back(reset_config_event(before.spec, after, now));
  }
  TaskStatus status = derive_status(before, now);
  bool was_active = status == TaskStatus::running || status == TaskStatus::abnormal;
  if (!before.spec.is_paused && after.is_paused && was_active) {
    events.push_back(task_exit_event(after, "Paused", "", now));
  }
  return events;
}

Result<std::string> TaskService::modify(const std::string& project_id,
                                        const ModifyRequest& request) {
  if (!request.task_id || request.task_id->empty()) return invalid("task_id is required");
  for (int attempt = 0; attempt < kModifyAttempts; ++attempt) {
    auto record = find(project_id, *request.task_id, request.region);
    if (!record) return record.error();
    ValidationContext ctx = context();
    bool is_finished = derive_status(*record, ctx.now) == TaskStatus::finished;
    if (is_finished) {
      auto new_end = request.end_time ? parse_rfc3339(*request.end_time) : std::nullopt;
      if (!new_end || *new_end <= record->spec.end_time || *new_end <= ctx.now) {
        return Error{ErrorKind::bad_state,
                     "task is finished: only a modify that moves end_time later can run it again"};
      }
    }
    auto spec = apply_modify(record->spec, request, ctx);
    if (!spec) return spec.error();
    auto status = store_.update_task(*spec, record->revision, is_finished, destination_key(*spec),
                                     ctx.now, modify_events(*record, *spec, ctx.now));
    if (status) {
      notify();
      return spec->task_id;
    }
    if (status.error().kind != ErrorKind::bad_state) return status.error();
  }
  return Error{ErrorKind::internal, "task kept changing during the modify"};
}

Result<std::string> TaskService::remove(const std::string& project_id,
                                        const std::optional<std::string>& task_id,
                                        const std::optional<std::string>& region) {
  if (!task_id || task_id->empty()) return invalid("task_id is required");
  auto record = find(project_id, *task_id, region);
  if (!record) return record.error();
  store::Events events = {task_exit_event(record->spec, "Deleted", "", now())};
  if (auto status = store_.delete_task(project_id, *task_id, events); !status) {
    return status.error();
  }
  notify();
  return *task_id;
}

}  // namespace streamrelay::app
