#include "api/ops_endpoints.h"

#include <nlohmann/json.hpp>

#include "api/url_query.h"
#include "observe/metrics.h"

namespace streamrelay::api {
namespace {

HttpResponse text(int status, std::string body, std::string content_type = "text/plain") {
  HttpResponse response;
  response.status = status;
  response.headers = {{"Content-Type", std::move(content_type)}, {"Cache-Control", "no-store"}};
  response.body = std::move(body);
  return response;
}

}  // namespace

std::optional<HttpResponse> OpsEndpoints::handle(const HttpRequest& request) {
  std::string path = split_target(request.target).first;
  bool is_ops = path == "/metrics" || path == "/healthz" || path == "/readyz" ||
                path == "/openapi.json" || path == "/console" || path.starts_with("/console/") ||
                path == "/";
  if (!is_ops) return std::nullopt;
  // Probes of load balancers often use HEAD: the status without the body.
  bool is_probe = path == "/healthz" || path == "/readyz";
  if (is_probe && request.method == "HEAD") {
    HttpRequest as_get = request;
    as_get.method = "GET";
    HttpResponse response = *handle(as_get);
    response.body.clear();
    return response;
  }
  if (request.method != "GET") {
    HttpResponse response = text(405, "method not allowed\n");
    response.headers.emplace_back("Allow", "GET");
    return response;
  }
  if (path == "/metrics") {
    return text(200, observe::metrics().render(), "text/plain; version=0.0.4; charset=utf-8");
  }
  if (path == "/healthz") return text(200, "ok\n");
  if (path == "/readyz") {
    std::string problem = readiness_();
    nlohmann::json body = {{"ready", problem.empty()}};
    if (!problem.empty()) body["reason"] = problem;
    return text(problem.empty() ? 200 : 503, body.dump() + "\n", "application/json");
  }
  if (path == "/openapi.json") return serve_asset("/console/openapi.json");
  if (path == "/" || path == "/console") {
    HttpResponse response = text(302, "");
    response.headers.emplace_back("Location", "/console/");
    return response;
  }
  return serve_asset(path == "/console/" ? "/console/index.html" : path);
}

HttpResponse OpsEndpoints::serve_asset(const std::string& path) {
  for (size_t i = 0; i < asset_count_; ++i) {
    if (assets_[i].path == path) {
      HttpResponse response =
          text(200, std::string(assets_[i].body), std::string(assets_[i].content_type));
      // The console talks to the API of the same origin only.
      response.headers.emplace_back("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:");
      response.headers.emplace_back("X-Content-Type-Options", "nosniff");
      return response;
    }
  }
  return text(404, "no such file\n");
}

}  // namespace streamrelay::api
