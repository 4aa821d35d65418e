#pragma once

#include <functional>
#include <optional>
#include <string>

#include "api/http_types.h"

namespace streamrelay::api {

// A static file built into the binary.
struct Asset {
  std::string_view path;  // "/console/index.html"
  std::string_view content_type;
  std::string_view body;
};

// What the operators of a node look at: /metrics (Prometheus), /healthz (the process answers),
// /readyz (it can take tasks), and the web console's files under /console/. None of them needs
// credentials; the console then calls the API with the user's own.
class OpsEndpoints {
 public:
  // Empty: ready; otherwise why not (the store is unreachable, shutting down).
  using ReadinessCheck = std::function<std::string()>;

  OpsEndpoints(ReadinessCheck readiness, const Asset* assets, size_t asset_count)
      : readiness_(std::move(readiness)), assets_(assets), asset_count_(asset_count) {}

  // The response when the request is for one of these paths.
  std::optional<HttpResponse> handle(const HttpRequest& request);

 private:
  HttpResponse serve_asset(const std::string& path);

  ReadinessCheck readiness_;
  const Asset* assets_;
  size_t asset_count_;
};

}  // namespace streamrelay::api
