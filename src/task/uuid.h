#pragma once

#include <string>

namespace streamrelay::task {

// A random (version 4) UUID in its 36-character text form.
std::string new_uuid();

}  // namespace streamrelay::task
