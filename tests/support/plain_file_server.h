#pragma once

#include <string>

#include "support/process.h"

namespace streamrelay::test_support {

// Python's http.server on loopback serving `folder`: no range requests, as many simple file
// servers; it answers 403 while `forbid(true)` and redirects /redirect/N as set by
// `set_redirects`.
class PlainFileServer {
 public:
  explicit PlainFileServer(std::string folder);
  ~PlainFileServer();
  std::string url(const std::string& name) const;
  std::string redirect_url(int index) const { return url("redirect/" + std::to_string(index)); }
  void forbid(bool is_forbidden);
  void set_redirects(const std::vector<std::string>& targets);
  // Requests it answered, as its log has them ("GET /a.mp4 HTTP/1.1" 200 -).
  std::string requests() const;

 private:
  std::string folder_;
  int port_;
  Process process_;
};

}  // namespace streamrelay::test_support
