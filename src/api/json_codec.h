#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "task/error.h"
#include "task/requests.h"
#include "task/task_spec.h"

namespace streamrelay::api {

// Request bodies to domain requests: every field's JSON type is checked here (a wrong type is a
// 400 naming the field); the rules on values are the domain's.
task::Result<task::CreateRequest> parse_create_body(const std::string& body);
task::Result<task::ModifyRequest> parse_modify_body(const std::string& body);

// The body of a list answer: the page's tasks as the contract's LivePullTaskInfo, the total and
// the request's id.
std::string task_list_body(const std::vector<task::TaskRecord>& records, int64_t total, int64_t now,
                           const std::string& request_id);

}  // namespace streamrelay::api
