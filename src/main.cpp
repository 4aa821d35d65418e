#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/task_cli.h"
#include "observe/logging.h"
#include "server.h"

int main(int argc, char** argv) {
  CLI::App app{"streamrelay: live-stream relay tasks behind a cloud-compatible HTTP API",
               "streamrelay"};
  app.require_subcommand(1);
  streamrelay::ServerConfig config;
  CLI::App* serve = app.add_subcommand("serve", "run the service");
  streamrelay::add_serve_options(*serve, config);
  streamrelay::cli::TaskCliOptions task_options;
  CLI::App* task = streamrelay::cli::add_task_commands(app, task_options);

  std::string error;
  std::vector<std::string> given(argv + 1, argv + argc);
  std::vector<std::string> args = streamrelay::expand_config_file(given, error);
  if (!error.empty()) {
    std::cerr << "streamrelay: " << error << "\n";
    return 2;
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments in reverse order
  try {
    app.parse(args);
  } catch (const CLI::ParseError& parse_error) {
    return app.exit(parse_error);
  }

  if (task->parsed()) return streamrelay::cli::run_task_command(task_options);

  if (!streamrelay::observe::setup_logging(config.log_level)) {
    spdlog::warn("event=config_warning note=\"unknown log level {}, using info\"",
                 config.log_level);
  }
  return streamrelay::run_server(config, [given](std::string& reload_error) {
    return streamrelay::read_serve_config(given, reload_error);
  });
}
