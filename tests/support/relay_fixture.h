#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>

#include "support/nginx_rtmp.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

namespace streamrelay::test_support {

// The end of a relay server's log, printed for a test that failed.
inline void print_server_log_end(const RelayServer* server) {
  if (!server) return;
  constexpr size_t kShown = 20000;
  std::string log = server->log();
  std::cerr << "---- server log (its end) ----\n"
            << (log.size() > kShown ? log.substr(log.size() - kShown) : log);
}

// A relay server and an nginx-rtmp in a folder of the test's own; a test that fails prints the
// end of the server's log.
class RelayWithNginxTest : public ::testing::Test {
 protected:
  TempDir dir;
  NginxRtmp nginx{dir.file("nginx")};
  std::unique_ptr<RelayServer> server;

  void SetUp() override { server = std::make_unique<RelayServer>(dir.file("relay")); }

  void TearDown() override {
    if (HasFailure()) print_server_log_end(server.get());
  }
};

}  // namespace streamrelay::test_support
