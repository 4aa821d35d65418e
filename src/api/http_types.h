#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace streamrelay::api {

// Why a request could not be read; the router answers each with the contract's error body.
enum class TransportError { none, body_too_large, header_too_large, malformed };

// An HTTP request as the router sees it: no socket, no library types.
struct HttpRequest {
  std::string method;                          // upper case
  std::string target;                          // path and query, as sent
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string peer_address;
  TransportError transport_error = TransportError::none;

  std::optional<std::string> header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    if (it == headers.end()) return std::nullopt;
    return it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

}  // namespace streamrelay::api
