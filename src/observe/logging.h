#pragma once

#include <string>

namespace streamrelay::observe {

// One structured line per event on stderr: "2026-01-02T15:04:05.123Z level=info key=value ...".
// Returns false (and keeps "info") for an unknown level name.
bool setup_logging(const std::string& level);
// Changes the level of the running logger; false (and nothing changed) for an unknown name.
bool set_log_level(const std::string& level);

}  // namespace streamrelay::observe
