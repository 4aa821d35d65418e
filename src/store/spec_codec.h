#pragma once

#include <string>

#include "task/task_spec.h"

namespace streamrelay::store {

// A spec's storage form: one JSON document, so adding a field needs no schema change.
std::string encode_spec(const task::TaskSpec& spec);
task::TaskSpec decode_spec(const std::string& text);

}  // namespace streamrelay::store
