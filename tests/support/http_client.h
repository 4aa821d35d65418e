#pragma once

#include <chrono>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace streamrelay::test_support {

struct HttpReply {
  long status = 0;  // 0: no answer
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case

  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

// A real HTTP client (libcurl); one instance keeps its connection alive between requests.
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpReply request(const std::string& method, const std::string& url, const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // How many new connections this client has opened so far.
  long connections_opened() const { return connections_; }

 private:
  void* curl_;
  long connections_ = 0;
};

// When STREAMRELAY_API_ANSWERS names a folder, every answer a test receives is appended there
// (one JSON line: the test, method, URL, status, content type, body) for the check of all
// answers against the OpenAPI document that runs after the integration tests.
void record_api_answer(const std::string& method, const std::string& url, const HttpReply& reply);

}  // namespace streamrelay::test_support
