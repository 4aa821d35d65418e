#pragma once

#include <string>

#include "api/auth/authenticator.h"
#include "api/http_types.h"
#include "api/rate_limiter.h"
#include "app/task_service.h"

namespace streamrelay::api {

// The contract's four operations on /v1/{project_id}/pull/stream/task: request ids, auth,
// JSON in and out, and the error body for every failure.
class Router {
 public:
  // `limiter` counts requests per credential; `auth_failures` counts failed authentications per
  // client address, and an address whose bucket is empty is answered 429 before its credentials
  // are looked at.
  Router(app::TaskService& service, Authenticator& authenticator, RateLimiter* limiter = nullptr,
         RateLimiter* auth_failures = nullptr);

  HttpResponse handle(const HttpRequest& request);

 private:
  HttpResponse dispatch(const HttpRequest& request, const std::string& request_id);
  // Who is asking, or the error response (401, 403, 429) that ends the request.
  task::Result<std::string> authorize(const HttpRequest& request, const std::string& project_id,
                                      std::string_view action, const std::string& request_id);
  HttpResponse create(const HttpRequest& request, const std::string& project_id,
                      const std::string& request_id);
  HttpResponse list(const std::string& query, const std::string& project_id,
                    const std::string& request_id);
  HttpResponse modify(const HttpRequest& request, const std::string& project_id,
                      const std::string& request_id);
  HttpResponse remove(const std::string& query, const std::string& project_id,
                      const std::string& request_id);
  HttpResponse events(const std::string& query, const std::string& project_id,
                      const std::string& request_id);

  app::TaskService& service_;
  Authenticator& authenticator_;
  RateLimiter* limiter_;
  RateLimiter* auth_failures_;
};

// The error body of the contract, with its HTTP status, for a domain error.
HttpResponse error_response(const task::Error& error, const std::string& request_id);

}  // namespace streamrelay::api
