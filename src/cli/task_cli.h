#pragma once

#include <map>
#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace streamrelay::cli {

// The settings of `streamrelay task ...`, filled by CLI11.
struct TaskCliOptions {
  std::string server = "http://127.0.0.1:8080";
  std::string project;
  std::string token;
  std::string access_key;
  std::string secret_key;
  bool is_json = false;
  std::string task_id;
  std::string body_file;
  bool is_pause = false;
  bool is_enable = false;
  std::string list_offset;
  std::string list_limit;
  std::string list_region;
  // Task fields given as flags: JSON name -> value(s), with the option that set them.
  std::map<std::string, std::string> texts;
  std::map<std::string, std::vector<std::string>> lists;
  std::map<std::string, std::map<std::string, CLI::Option*>> given;  // by command
  CLI::App* create = nullptr;
  CLI::App* list = nullptr;
  CLI::App* get = nullptr;
  CLI::App* modify = nullptr;
  CLI::App* remove = nullptr;
};

// Declares `task create|list|get|modify|delete` under `app`.
CLI::App* add_task_commands(CLI::App& app, TaskCliOptions& options);

// Exit codes of `streamrelay task`: scripts can tell why a command failed.
inline constexpr int kExitRefused = 1;         // the API refused the request (its error shown)
inline constexpr int kExitUsage = 2;           // bad command line
inline constexpr int kExitUnreachable = 3;     // the server could not be reached
inline constexpr int kExitAuthentication = 4;  // credentials missing, wrong or not permitted
inline constexpr int kExitNotFound = 5;        // no such task in the project
inline constexpr int kExitLimited = 6;         // rate limit or the project's task quota
inline constexpr int kExitServer = 7;          // the server failed (5xx)

// Runs the parsed command against the server; the process exit code.
int run_task_command(TaskCliOptions& options);

}  // namespace streamrelay::cli
