#pragma once

#include <string>

namespace streamrelay::observe {

// One structured line per event on stderr: "2026-01-02T15:04:05.123Z level=info key=value ...".
// Returns false (and keeps "info") for an unknown level name.
bool setup_logging(const std::string& level);

}  // namespace streamrelay::observe
