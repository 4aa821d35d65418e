#pragma once

#include <functional>
#include <optional>
#include <string>

#include "server_config.h"

namespace streamrelay {

// Reads the settings again for a reload; nullopt and `error` when they cannot be read.
using ConfigReader = std::function<std::optional<ServerConfig>(std::string& error)>;

// Runs the service until SIGINT or SIGTERM; returns the process exit code. SIGHUP reloads what
// can change while relays run (credentials, log level, egress), read by `reread`.
int run_server(const ServerConfig& config, ConfigReader reread = {});

}  // namespace streamrelay
