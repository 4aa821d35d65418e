#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/egress_policy.h"
#include "task/error.h"
#include "task/requests.h"
#include "task/task_spec.h"
#include "task/url_rules.h"

namespace streamrelay::task {

// What validation needs to know about the deployment and the moment.
struct ValidationContext {
  int64_t now = 0;
  std::string default_region = "local";
  std::vector<std::string> served_regions;  // empty: every region
  MediaRoots media_roots;
  net::EgressPolicy egress;
};

inline constexpr int64_t kMaxWindowSeconds = 7 * 24 * 3600;
inline constexpr int64_t kMaxInt32 = 2147483647;
inline constexpr size_t kMaxVodUrls = 30;
inline constexpr size_t kMaxBackupUrls = 30;

// A spec with defaults filled in (task_id, project_id and create_time are left to the caller).
Result<TaskSpec> build_spec(const CreateRequest& request, const ValidationContext& context);

// The spec after a modify; every create rule holds for it.
Result<TaskSpec> apply_modify(const TaskSpec& current, const ModifyRequest& request,
                              const ValidationContext& context);

// Checks every rule that a complete spec must satisfy.
Status check_spec(const TaskSpec& spec, const ValidationContext& context);

Result<ListQuery> parse_list_query(const ListRequest& request);

// The names of the fields that differ between two specs, in contract order.
std::vector<std::string> changed_fields(const TaskSpec& before, const TaskSpec& after);

}  // namespace streamrelay::task
