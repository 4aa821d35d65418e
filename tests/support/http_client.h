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

}  // namespace streamrelay::test_support
