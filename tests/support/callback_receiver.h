#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace streamrelay::test_support {

struct ReceivedCallback {
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

// A real HTTP server on a free loopback port that records every POST it gets and answers with
// a chosen status; it can be taken down (connections refused) and brought up on the same port.
class CallbackReceiver {
 public:
  CallbackReceiver();
  ~CallbackReceiver();

  void start();
  void stop();
  void set_status(int status);
  std::string url() const;
  std::vector<ReceivedCallback> received();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace streamrelay::test_support
