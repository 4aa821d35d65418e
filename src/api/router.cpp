#include "api/router.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "api/auth/credentials.h"
#include "api/json_codec.h"
#include "api/url_query.h"
#include "observe/metrics.h"
#include "task/text_rules.h"
#include "task/time_format.h"
#include "task/uuid.h"

namespace streamrelay::api {

using nlohmann::json;

namespace {

struct ErrorCode {
  int status;
  const char* code;
};

// The cloud vendor's own codes (its Live error table, and its API gateway's for authentication
// and unknown routes), so client code written against the cloud branches correctly.
ErrorCode code_of(task::ErrorKind kind) {
  switch (kind) {
    case task::ErrorKind::invalid_request:
      return {400, "LIVE.100011001"};
    case task::ErrorKind::bad_state:
      return {400, "LIVE.103011022"};
    case task::ErrorKind::unauthenticated:
      return {401, "APIG.0301"};
    case task::ErrorKind::project_mismatch:
      return {401, "LIVE.100011015"};
    case task::ErrorKind::forbidden:
      return {403, "LIVE.100011003"};
    case task::ErrorKind::not_found:
      return {404, "LIVE.103011019"};
    case task::ErrorKind::no_such_route:
      return {404, "APIG.0101"};
    case task::ErrorKind::method_not_allowed:
      return {405, "LIVE.100011011"};
    case task::ErrorKind::conflict:
      return {409, "LIVE.103011018"};
    case task::ErrorKind::too_large:
      return {413, "LIVE.100011001"};
    case task::ErrorKind::unsupported_media_type:
      return {415, "LIVE.100011012"};
    case task::ErrorKind::rate_limited:
      return {429, "LIVE.100011007"};
    case task::ErrorKind::quota_exceeded:
      return {429, "LIVE.103011020"};
    case task::ErrorKind::internal:
      return {500, "LIVE.100011005"};
  }
  return {500, "LIVE.100011005"};
}

HttpResponse json_text_response(int status, std::string body, const std::string& request_id) {
  HttpResponse response;
  response.status = status;
  response.headers = {{"Content-Type", "application/json"}, {"X-Request-Id", request_id}};
  response.body = std::move(body);
  return response;
}

HttpResponse json_response(int status, const json& body, const std::string& request_id) {
  return json_text_response(status, body.dump(), request_id);
}

HttpResponse task_id_response(const std::string& task_id, const std::string& request_id) {
  return json_response(200, {{"task_id", task_id}, {"request_id", request_id}}, request_id);
}

// The client's X-Request-Id when it is a sane token, else a new UUID.
std::string request_id_of(const HttpRequest& request) {
  auto sent = request.header("x-request-id");
  if (sent && !sent->empty() && sent->size() <= 128 &&
      std::all_of(sent->begin(), sent->end(),
                  [](unsigned char c) { return c > 0x20 && c < 0x7f; })) {
    return *sent;
  }
  return task::new_uuid();
}

// A JSON body is required to say so, or say nothing; charset parameters are fine.
bool is_json_content_type(const HttpRequest& request) {
  auto type = request.header("content-type");
  if (!type) return true;
  std::string media = type->substr(0, type->find(';'));
  media.erase(
      std::remove_if(media.begin(), media.end(), [](unsigned char c) { return std::isspace(c); }),
      media.end());
  std::transform(media.begin(), media.end(), media.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return media == "application/json";
}

task::Error transport_error(TransportError error) {
  switch (error) {
    case TransportError::body_too_large:
      return {task::ErrorKind::too_large, "request body must be at most 65536 bytes"};
    case TransportError::header_too_large:
      return task::invalid("request headers are too large");
    case TransportError::malformed:
    case TransportError::none:
      break;
  }
  return task::invalid("malformed HTTP request");
}

bool is_task_path(const std::vector<std::string>& segments) {
  return segments.size() == 5 && segments[0] == "v1" && segments[2] == "pull" &&
         segments[3] == "stream" && segments[4] == "task";
}

// GET /v1/{project_id}/pull/stream/task/events: a task's recent events (beyond the contract).
bool is_task_events_path(const std::vector<std::string>& segments) {
  return segments.size() == 6 && segments[5] == "events" &&
         is_task_path({segments.begin(), segments.begin() + 5});
}

// An event's stored data as JSON (the text itself if it is not, which the server never writes).
json data_of(const std::string& text) {
  json data = json::parse(text, nullptr, false);
  return data.is_discarded() ? json(text) : data;
}

// The route label of a request's metrics: the operation, so label values stay few.
std::string route_of(const HttpRequest& request) {
  auto segments = split_path(split_target(request.target).first);
  if (is_task_events_path(segments)) return "events";
  if (!is_task_path(segments)) return "other";
  if (request.method == "POST") return "create";
  if (request.method == "GET") return "list";
  if (request.method == "PUT") return "modify";
  if (request.method == "DELETE") return "delete";
  return "other";
}

HttpResponse method_not_allowed(const std::string& method, const char* allowed,
                                const std::string& request_id) {
  HttpResponse response = error_response(
      {task::ErrorKind::method_not_allowed,
       "method " + method + " is not allowed on this path (allowed: " + allowed + ")"},
      request_id);
  response.headers.emplace_back("Allow", allowed);
  return response;
}

task::Error unsupported_media_type() {
  return {task::ErrorKind::unsupported_media_type,
          "Content-Type must be application/json (a charset parameter is allowed)"};
}

// The SDKs send the project they were configured with; it must be the one the path names.
std::optional<task::Error> project_header_mismatch(const HttpRequest& request,
                                                   const std::string& project_id) {
  auto header = request.header("x-project-id");
  if (!header || *header == project_id) return std::nullopt;
  return task::Error{task::ErrorKind::project_mismatch,
                     "X-Project-Id must name the project of the path (" + project_id + ")"};
}

}  // namespace

HttpResponse error_response(const task::Error& error, const std::string& request_id) {
  ErrorCode code = code_of(error.kind);
  std::string message = error.kind == task::ErrorKind::internal ? "internal error" : error.message;
  return json_response(
      code.status, {{"error_code", code.code}, {"error_msg", message}, {"request_id", request_id}},
      request_id);
}

Router::Router(app::TaskService& service, Authenticator& authenticator, RateLimiter* limiter,
               RateLimiter* auth_failures)
    : service_(service),
      authenticator_(authenticator),
      limiter_(limiter),
      auth_failures_(auth_failures) {}

HttpResponse Router::handle(const HttpRequest& request) {
  auto started = std::chrono::steady_clock::now();
  std::string request_id = request_id_of(request);
  HttpResponse response;
  try {
    response = request.transport_error != TransportError::none
                   ? error_response(transport_error(request.transport_error), request_id)
                   : dispatch(request, request_id);
  } catch (const std::exception& error) {
    spdlog::error("request_id={} event=request_failed error=\"{}\"", request_id, error.what());
    response = error_response({task::ErrorKind::internal, ""}, request_id);
  }
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
  std::string route = route_of(request);
  observe::metrics().api_requests.add(
      {{"route", route}, {"code", std::to_string(response.status)}});
  observe::metrics().api_latency.observe({{"route", route}}, static_cast<double>(micros) / 1e6);
  spdlog::debug("request_id={} event=request method={} path={} status={} duration_us={}",
                request_id, request.method, request.target.substr(0, request.target.find('?')),
                response.status, micros);
  return response;
}

HttpResponse Router::dispatch(const HttpRequest& request, const std::string& request_id) {
  auto [path, query] = split_target(request.target);
  auto segments = split_path(path);
  bool is_events_path = is_task_events_path(segments);
  if (!is_task_path(segments) && !is_events_path) {
    return error_response({task::ErrorKind::no_such_route, "no such API: " + path}, request_id);
  }
  const std::string& project_id = segments[1];
  if (!task::is_valid_identifier(project_id)) {
    return error_response(task::invalid("project_id must be 1 to 64 letters, digits, '-', '_' or "
                                        "'.', starting with a letter or a digit, without '..'"),
                          request_id);
  }
  if (auto mismatch = project_header_mismatch(request, project_id)) {
    return error_response(*mismatch, request_id);
  }
  if (is_events_path && request.method != "GET") {
    return method_not_allowed(request.method, "GET", request_id);
  }
  std::string_view action = request.method == "POST"     ? kCreateAction
                            : request.method == "GET"    ? kListAction
                            : request.method == "PUT"    ? kModifyAction
                            : request.method == "DELETE" ? kDeleteAction
                                                         : "";
  if (action.empty()) {
    return method_not_allowed(request.method, "GET, POST, PUT, DELETE", request_id);
  }
  auto principal = authorize(request, project_id, action, request_id);
  if (!principal) return error_response(principal.error(), request_id);
  if (is_events_path) return events(query, project_id, request_id);
  if (request.method == "POST") return create(request, project_id, request_id);
  if (request.method == "GET") return list(query, project_id, request_id);
  if (request.method == "PUT") return modify(request, project_id, request_id);
  return remove(query, project_id, request_id);
}

task::Result<std::string> Router::authorize(const HttpRequest& request,
                                            const std::string& project_id, std::string_view action,
                                            const std::string& request_id) {
  const std::string& client = request.peer_address;
  if (auth_failures_ && !auth_failures_->has_token(client)) {
    return task::Error{task::ErrorKind::rate_limited,
                       "too many failed authentications from this client address; retry later"};
  }
  auto principal = authenticator_.authorize(request, project_id, action);
  if (!principal) {
    if (principal.error().kind == task::ErrorKind::unauthenticated) {
      if (auth_failures_) auth_failures_->allow(client);
      spdlog::warn(
          "request_id={} event=authentication_failed client={} credential={} reason=\"{}\"",
          request_id, client, claimed_identity(request), principal.error().message);
    }
    return principal.error();
  }
  if (limiter_ && !limiter_->allow(*principal)) {
    return task::Error{task::ErrorKind::rate_limited,
                       "request rate limit exceeded for these credentials; retry later"};
  }
  return principal;
}

HttpResponse Router::create(const HttpRequest& request, const std::string& project_id,
                            const std::string& request_id) {
  if (!is_json_content_type(request)) {
    return error_response(unsupported_media_type(), request_id);
  }
  auto body = parse_create_body(request.body);
  if (!body) return error_response(body.error(), request_id);
  auto task_id = service_.create(project_id, *body);
  if (!task_id) return error_response(task_id.error(), request_id);
  spdlog::info("request_id={} task_id={} event=task_created project_id={}", request_id, *task_id,
               project_id);
  return task_id_response(*task_id, request_id);
}

HttpResponse Router::list(const std::string& query, const std::string& project_id,
                          const std::string& request_id) {
  auto params = parse_query(query);
  task::ListRequest request;
  request.region = query_value(params, "region");
  request.task_id = query_value(params, "task_id");
  request.offset = query_value(params, "offset");
  request.limit = query_value(params, "limit");
  auto page = service_.list(project_id, request);
  if (!page) return error_response(page.error(), request_id);
  int64_t now = service_.now();
  return json_text_response(200, task_list_body(page->records, page->total, now, request_id),
                            request_id);
}

HttpResponse Router::modify(const HttpRequest& request, const std::string& project_id,
                            const std::string& request_id) {
  if (!is_json_content_type(request)) {
    return error_response(unsupported_media_type(), request_id);
  }
  auto body = parse_modify_body(request.body);
  if (!body) return error_response(body.error(), request_id);
  auto task_id = service_.modify(project_id, *body);
  if (!task_id) return error_response(task_id.error(), request_id);
  spdlog::info("request_id={} task_id={} event=task_modified", request_id, *task_id);
  return task_id_response(*task_id, request_id);
}

HttpResponse Router::remove(const std::string& query, const std::string& project_id,
                            const std::string& request_id) {
  auto params = parse_query(query);
  auto task_id =
      service_.remove(project_id, query_value(params, "task_id"), query_value(params, "region"));
  if (!task_id) return error_response(task_id.error(), request_id);
  spdlog::info("request_id={} task_id={} event=task_deleted_by_request", request_id, *task_id);
  return task_id_response(*task_id, request_id);
}

HttpResponse Router::events(const std::string& query, const std::string& project_id,
                            const std::string& request_id) {
  auto params = parse_query(query);
  auto stored =
      service_.events(project_id, query_value(params, "task_id"), query_value(params, "limit"));
  if (!stored) return error_response(stored.error(), request_id);
  json events = json::array();
  for (const store::StoredEvent& item : *stored) {
    const task::TaskEvent& event = item.event;
    events.push_back({{"event_id", event.event_id},
                      {"event_type", event.event_type},
                      {"sequence", event.sequence},
                      {"timestamp", task::format_utc(event.timestamp)},
                      {"data", data_of(event.data)},
                      {"delivery", item.state},
                      {"attempts", item.attempts}});
  }
  // How far back the history reaches: older events, once delivered, are no longer kept.
  const store::Retention& retention = service_.event_retention();
  json kept = {{"hours", static_cast<double>(retention.seconds) / 3600},
               {"events_per_task", retention.events_per_task}};
  return json_response(200, {{"events", events}, {"retention", kept}, {"request_id", request_id}},
                       request_id);
}

}  // namespace streamrelay::api
