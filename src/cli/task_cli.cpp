#include "cli/task_cli.h"

#include <curl/curl.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/auth/sdk_signature.h"
#include "cli/table.h"
#include "net/digest.h"

namespace streamrelay::cli {
namespace {

using nlohmann::json;

struct Reply {
  long status = 0;
  std::string body;
  std::string error;
};

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

size_t collect(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

// "http://host:port/path" -> "host:port", as the Host header a signer must sign.
std::string host_of(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find('/', start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string sdk_date_now() {
  std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%dT%H%M%SZ", &parts);
  return text;
}

// Sends one API request with the options' credentials: a token, or an AK/SK signature as the
// vendor's SDKs make it.
Reply send(const TaskCliOptions& options, const std::string& method, const std::string& path,
           const std::string& query, const std::string& body) {
  std::string base = options.server;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string url = base + path + (query.empty() ? "" : "?" + query);
  std::vector<std::string> headers = {"Content-Type: application/json"};
  if (!options.access_key.empty()) {
    api::HttpRequest request;
    request.method = method;
    request.target = path + (query.empty() ? "" : "?" + query);
    request.body = body;
    std::string date = sdk_date_now();
    request.headers = {{"content-type", "application/json"},
                       {"host", host_of(base)},
                       {"x-project-id", options.project},
                       {"x-sdk-date", date}};
    std::vector<std::string> signed_headers = {"content-type", "host", "x-project-id",
                                               "x-sdk-date"};
    std::string signature = api::sdk_signature(
        options.secret_key, date,
        api::sdk_canonical_request(request, signed_headers, net::sha256_hex(body)));
    headers.push_back("Host: " + host_of(base));  // exactly the host that was signed
    headers.push_back("X-Project-Id: " + options.project);
    headers.push_back("X-Sdk-Date: " + date);
    headers.push_back(
        "Authorization: SDK-HMAC-SHA256 Access=" + options.access_key +
        ", SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=" + signature);
  } else if (!options.token.empty()) {
    headers.push_back("X-Auth-Token: " + options.token);
  }
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  std::unique_ptr<curl_slist, ListDeleter> list;
  for (const std::string& header : headers) {
    list.reset(curl_slist_append(list.release(), header.c_str()));
  }
  Reply reply;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list.get());
  if (!body.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    reply.error = std::string("cannot reach ") + base + ": " + curl_easy_strerror(code);
    return reply;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

// The reply's JSON object; an empty object for anything else (a proxy's HTML page, say).
json object_of(const std::string& body) {
  json parsed = json::parse(body, nullptr, false);
  return parsed.is_object() ? parsed : json::object();
}

std::string url_encode(const std::string& text) {
  return api::sdk_url_encode(text);
}

std::string tasks_path(const TaskCliOptions& options) {
  return "/v1/" + url_encode(options.project) + "/pull/stream/task";
}

// What an API error code means to a person, and the exit code scripts can branch on.
struct Refusal {
  const char* meaning;
  int exit_code;
};

Refusal refusal_of(const std::string& code, long status) {
  if (code == "APIG.0301") return {"authentication failed", kExitAuthentication};
  if (code == "LIVE.100011015") return {"X-Project-Id names another project", kExitAuthentication};
  if (code == "LIVE.100011003") return {"not permitted", kExitAuthentication};
  if (code == "LIVE.103011019") return {"no such task", kExitNotFound};
  if (code == "LIVE.103011018") return {"destination already in use", kExitRefused};
  if (code == "LIVE.103011022") return {"not allowed in the task's state", kExitRefused};
  if (code == "LIVE.103011020") return {"project task quota reached", kExitLimited};
  if (code == "LIVE.100011007") return {"too many requests", kExitLimited};
  if (code == "LIVE.100011005" || status >= 500) return {"server error", kExitServer};
  return {"request refused", kExitRefused};
}

// Prints the reply's error (the API's error body when there is one); the exit code.
int report_failure(const TaskCliOptions& options, const Reply& reply) {
  if (!reply.error.empty()) {
    std::cerr << "streamrelay: " << reply.error << "\n";
    return kExitUnreachable;
  }
  json body = object_of(reply.body);
  std::string code = body.value("error_code", "");
  Refusal refusal = refusal_of(code, reply.status);
  if (options.is_json) {
    std::cout << reply.body << "\n";
  } else {
    std::cerr << "streamrelay: " << refusal.meaning << " (HTTP " << reply.status;
    if (!code.empty()) std::cerr << ", " << code;
    std::cerr << ")";
    if (!body.empty()) {
      std::cerr << ": " << body.value("error_msg", "") << " (request_id "
                << body.value("request_id", "") << ")";
    }
    std::cerr << "\n";
  }
  return refusal.exit_code;
}

std::string text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  if (value.is_array()) {
    std::string out;
    for (const json& item : value) out += (out.empty() ? "" : ", ") + text_of(item);
    return out;
  }
  return value.dump();
}

// The body of a create or modify: --body's JSON object, then every field flag over it.
std::optional<json> task_body(const TaskCliOptions& options, const std::string& command) {
  json body = json::object();
  if (!options.body_file.empty()) {
    std::string text;
    if (options.body_file == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), {});
    } else {
      std::ifstream file(options.body_file);
      if (!file) {
        std::cerr << "streamrelay: cannot read " << options.body_file << "\n";
        return std::nullopt;
      }
      text.assign(std::istreambuf_iterator<char>(file), {});
    }
    body = json::parse(text, nullptr, false);
    if (!body.is_object()) {
      std::cerr << "streamrelay: --body must hold a JSON object\n";
      return std::nullopt;
    }
  }
  for (const auto& [name, option] : options.given.at(command)) {
    if (option->count() == 0) continue;
    if (options.lists.contains(name)) {
      body[name] = options.lists.at(name);
    } else if (name == "vod_start_video_index" || name == "vod_start_video_time") {
      char* end = nullptr;
      long long number = std::strtoll(options.texts.at(name).c_str(), &end, 10);
      if (*end != '\0') {
        body[name] = options.texts.at(name);  // the server names the rule
      } else {
        body[name] = number;
      }
    } else {
      body[name] = options.texts.at(name);
    }
  }
  return body;
}

int print_task_id(const TaskCliOptions& options, const Reply& reply) {
  json body = object_of(reply.body);
  if (options.is_json) {
    std::cout << reply.body << "\n";
  } else {
    std::cout << body.value("task_id", "") << "\n";
  }
  return 0;
}

int create(TaskCliOptions& options) {
  auto body = task_body(options, "create");
  if (!body) return kExitUsage;
  Reply reply = send(options, "POST", tasks_path(options), "", body->dump());
  if (reply.status != 200) return report_failure(options, reply);
  return print_task_id(options, reply);
}

int modify(TaskCliOptions& options) {
  auto body = task_body(options, "modify");
  if (!body) return kExitUsage;
  (*body)["task_id"] = options.task_id;
  if (options.is_pause) (*body)["status"] = "pause";
  if (options.is_enable) (*body)["status"] = "enable";
  Reply reply = send(options, "PUT", tasks_path(options), "", body->dump());
  if (reply.status != 200) return report_failure(options, reply);
  return print_task_id(options, reply);
}

int remove(TaskCliOptions& options) {
  Reply reply =
      send(options, "DELETE", tasks_path(options), "task_id=" + url_encode(options.task_id), "");
  if (reply.status != 200) return report_failure(options, reply);
  return print_task_id(options, reply);
}

std::vector<std::string> row_of(const json& info) {
  json runtime = info.value("runtime", json::object());
  std::string source = runtime.value("source_url", "");
  if (source.empty()) source = text_of(info.value("source_urls", json::array()));
  std::string destination = info.value("destination_url", "");
  if (destination.empty()) {
    destination = "rtmp://" + info.value("domain", "") + "/" + info.value("app_name", "") + "/" +
                  info.value("stream_name", "");
  }
  return {info.value("task_id", ""),
          info.value("status", ""),
          info.value("source_type", "") == "PullVodPushLive" ? "vod" : "live",
          shorten(source, 40),
          shorten(destination, 40),
          std::to_string(runtime.value("bitrate_kbps", 0)),
          shorten(runtime.value("last_error", ""), 40)};
}

int list(TaskCliOptions& options) {
  std::string query;
  auto add = [&query](const std::string& name, const std::string& value) {
    if (!value.empty()) query += (query.empty() ? "" : "&") + name + "=" + url_encode(value);
  };
  add("offset", options.list_offset);
  add("limit", options.list_limit);
  add("region", options.list_region);
  Reply reply = send(options, "GET", tasks_path(options), query, "");
  if (reply.status != 200) return report_failure(options, reply);
  if (options.is_json) {
    std::cout << reply.body << "\n";
    return 0;
  }
  json body = object_of(reply.body);
  std::vector<std::vector<std::string>> rows;
  for (const json& info : body.value("task_infos", json::array())) rows.push_back(row_of(info));
  std::cout << format_table(
      {"TASK_ID", "STATUS", "TYPE", "SOURCE", "DESTINATION", "KBPS", "LAST_ERROR"}, rows);
  std::cout << rows.size() << " shown of " << body.value("total", 0) << "\n";
  return 0;
}

int get(TaskCliOptions& options) {
  Reply reply =
      send(options, "GET", tasks_path(options), "task_id=" + url_encode(options.task_id), "");
  if (reply.status != 200) return report_failure(options, reply);
  json body = object_of(reply.body);
  json infos = body.value("task_infos", json::array());
  if (infos.empty()) {
    std::cerr << "streamrelay: no task " << options.task_id << "\n";
    return kExitNotFound;
  }
  if (options.is_json) {
    std::cout << infos[0].dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, value] : infos[0].items()) {
    if (name == "runtime") continue;
    rows.push_back({name, text_of(value)});
  }
  json runtime = infos[0].value("runtime", json::object());
  for (const auto& [name, value] : runtime.items()) {
    rows.push_back({"runtime." + name, text_of(value)});
  }
  std::cout << format_table({"FIELD", "VALUE"}, rows);
  return 0;
}

void add_field_flags(CLI::App& command, TaskCliOptions& options, bool is_create) {
  struct Field {
    const char* flag;
    const char* name;
    const char* help;
    bool is_list;
    bool is_create_only;
  };
  static const Field kFields[] = {
      {"--source-type", "source_type", "PullLivePushLive or PullVodPushLive", false, true},
      {"--source-url", "source_urls", "source URL (repeat for a playlist)", true, false},
      {"--destination-url", "destination_url", "complete destination URL", false, true},
      {"--domain", "domain", "destination host", false, true},
      {"--app-name", "app_name", "destination application", false, true},
      {"--stream-name", "stream_name", "destination stream", false, true},
      {"--push-args", "push_args", "query string of the destination", false, true},
      {"--region", "region", "the task's region", false, true},
      {"--start-time", "start_time", "e.g. 2026-01-02T15:04:05Z", false, false},
      {"--end-time", "end_time", "e.g. 2026-01-02T17:04:05Z", false, false},
      {"--vod-loop-time", "vod_loop_time", "-1 (until end_time) or rounds", false, false},
      {"--vod-refresh-type", "vod_refresh_type",
       "immediate_new_source, continue_from_file_start or continue_from_break_point", false, false},
      {"--vod-start-video-index", "vod_start_video_index", "file to start from", false, false},
      {"--vod-start-video-time", "vod_start_video_time", "seconds into it", false, false},
      {"--backup-source-type", "backup_source_type", "type of the standby source", false, true},
      {"--backup-source-url", "backup_source_urls", "standby source URL (repeatable)", true, true},
      {"--callback-url", "callback_url", "where events are POSTed", false, false},
      {"--callback-event", "callback_events", "event to send (repeatable; default all)", true,
       false},
  };
  for (const Field& field : kFields) {
    if (field.is_create_only && !is_create) continue;
    CLI::Option* option =
        field.is_list ? command.add_option(field.flag, options.lists[field.name], field.help)
                      : command.add_option(field.flag, options.texts[field.name], field.help);
    options.given[command.get_name()][field.name] = option;
  }
  command.add_option("--body", options.body_file,
                     "JSON object of fields ('-' for stdin); flags override it");
}

}  // namespace

CLI::App* add_task_commands(CLI::App& app, TaskCliOptions& options) {
  CLI::App* task = app.add_subcommand("task", "manage relay tasks on a server");
  task->require_subcommand(1);
  options.server = env_or("STREAMRELAY_SERVER", options.server);
  options.project = env_or("STREAMRELAY_PROJECT", options.project);
  options.token = env_or("STREAMRELAY_TOKEN", options.token);
  options.access_key = env_or("STREAMRELAY_AK", options.access_key);
  options.secret_key = env_or("STREAMRELAY_SK", options.secret_key);
  task->add_option("--server", options.server, "API base URL (env STREAMRELAY_SERVER)")
      ->capture_default_str();
  task->add_option("--project", options.project, "project id (env STREAMRELAY_PROJECT)");
  task->add_option("--token", options.token, "X-Auth-Token (env STREAMRELAY_TOKEN)");
  task->add_option("--ak", options.access_key, "access key to sign with (env STREAMRELAY_AK)");
  task->add_option("--sk", options.secret_key, "its secret key (env STREAMRELAY_SK)");
  task->add_flag("--json", options.is_json, "print the API's JSON instead of a table");
  task->fallthrough();

  options.create = task->add_subcommand("create", "create a task");
  add_field_flags(*options.create, options, true);
  options.list = task->add_subcommand("list", "list the project's tasks, newest first");
  options.list->add_option("--offset", options.list_offset, "tasks to skip");
  options.list->add_option("--limit", options.list_limit, "tasks to show (1..100)");
  options.list->add_option("--region", options.list_region, "only this region");
  options.get = task->add_subcommand("get", "show one task with its runtime");
  options.get->add_option("task_id", options.task_id, "the task")->required();
  options.modify = task->add_subcommand("modify", "change a task");
  options.modify->add_option("task_id", options.task_id, "the task")->required();
  add_field_flags(*options.modify, options, false);
  options.modify->add_flag("--pause", options.is_pause, "pause it");
  options.modify->add_flag("--enable", options.is_enable, "enable it again");
  options.remove = task->add_subcommand("delete", "delete a task (its push stops)");
  options.remove->add_option("task_id", options.task_id, "the task")->required();
  for (CLI::App* command :
       {options.create, options.list, options.get, options.modify, options.remove}) {
    command->fallthrough();
  }
  return task;
}

int run_task_command(TaskCliOptions& options) {
  if (options.project.empty()) {
    std::cerr << "streamrelay: --project (or STREAMRELAY_PROJECT) is required\n";
    return kExitUsage;
  }
  if (!options.access_key.empty() && options.secret_key.empty()) {
    std::cerr << "streamrelay: --ak needs --sk\n";
    return kExitUsage;
  }
  if (options.is_pause && options.is_enable) {
    std::cerr << "streamrelay: --pause and --enable exclude each other\n";
    return kExitUsage;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (options.create->parsed()) return create(options);
  if (options.list->parsed()) return list(options);
  if (options.get->parsed()) return get(options);
  if (options.modify->parsed()) return modify(options);
  return remove(options);
}

}  // namespace streamrelay::cli
