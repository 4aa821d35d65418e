#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "observe/logging.h"
#include "server.h"

int main(int argc, char** argv) {
  CLI::App app{"streamrelay: live-stream relay tasks behind a cloud-compatible HTTP API"};
  app.require_subcommand(1);
  streamrelay::ServerConfig config;
  CLI::App* serve = app.add_subcommand("serve", "run the service");
  streamrelay::add_serve_options(*serve, config);
  CLI11_PARSE(app, argc, argv);

  if (!streamrelay::observe::setup_logging(config.log_level)) {
    spdlog::warn("event=config_warning note=\"unknown log level {}, using info\"", config.log_level);
  }
  return streamrelay::run_server(config);
}
