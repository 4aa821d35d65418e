#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/task_cli.h"
#include "observe/logging.h"
#include "server.h"
#include "store/sqlite/sqlite_backup.h"

int main(int argc, char** argv) {
  CLI::App app{"streamrelay: live-stream relay tasks behind a cloud-compatible HTTP API",
               "streamrelay"};
  app.require_subcommand(1);
  streamrelay::ServerConfig config;
  CLI::App* serve = app.add_subcommand("serve", "run the service");
  streamrelay::add_serve_options(*serve, config);
  std::string backup_target;
  std::string backup_data_dir = config.data_dir;
  CLI::App* backup = app.add_subcommand(
      "backup", "copy the SQLite database, consistent, while the service runs (a new file)");
  backup->add_option("target", backup_target, "the copy to make")->required();
  backup->add_option("--data-dir", backup_data_dir, "the service's data folder")
      ->capture_default_str();
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
  if (backup->parsed()) {
    auto result =
        streamrelay::store::backup_sqlite(backup_data_dir + "/streamrelay.db", backup_target);
    if (!result.is_ok) {
      std::cerr << "streamrelay backup: " << result.error << "\n";
      return 1;
    }
    std::cout << "backed up " << result.pages << " pages (" << result.bytes << " bytes) to "
              << backup_target << ", integrity ok\n";
    return 0;
  }

  if (!streamrelay::observe::setup_logging(config.log_level)) {
    spdlog::warn("event=config_warning note=\"unknown log level {}, using info\"",
                 config.log_level);
  }
  return streamrelay::run_server(config, [given](std::string& reload_error) {
    return streamrelay::read_serve_config(given, reload_error);
  });
}
