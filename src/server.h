#pragma once

#include "server_config.h"

namespace streamrelay {

// Runs the service until SIGINT or SIGTERM; returns the process exit code.
int run_server(const ServerConfig& config);

}  // namespace streamrelay
