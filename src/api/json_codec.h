#pragma once

#include <nlohmann/json.hpp>

#include "task/error.h"
#include "task/requests.h"
#include "task/task_spec.h"

namespace streamrelay::api {

// Request bodies to domain requests: every field's JSON type is checked here (a wrong type is a
// 400 naming the field); the rules on values are the domain's.
task::Result<task::CreateRequest> parse_create_body(const std::string& body);
task::Result<task::ModifyRequest> parse_modify_body(const std::string& body);

// A stored task as the contract's LivePullTaskInfo.
nlohmann::json task_info_json(const task::TaskRecord& record, int64_t now);

}  // namespace streamrelay::api
