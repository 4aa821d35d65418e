#include "support/plain_file_server.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace streamrelay::test_support {

PlainFileServer::PlainFileServer(std::string folder)
    : folder_(std::move(folder)), port_(free_port()) {
  std::filesystem::create_directories(folder_);
  process_ = Process({"/usr/bin/python3", STREAMRELAY_TEST_SUPPORT_DIR "/http/plain_file_server.py",
                      std::to_string(port_), folder_},
                     folder_ + ".stdout.log", folder_ + ".log");
  if (!eventually(
          [&] { return read_file(folder_ + ".stdout.log").find("serving") != std::string::npos; },
          std::chrono::seconds(10))) {
    throw std::runtime_error("the file server did not start: " + read_file(folder_ + ".log"));
  }
}

PlainFileServer::~PlainFileServer() {
  process_.stop(SIGTERM, std::chrono::seconds(2));
}

std::string PlainFileServer::url(const std::string& name) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + name;
}

void PlainFileServer::forbid(bool is_forbidden) {
  std::string marker = folder_ + "/FORBIDDEN";
  if (is_forbidden) {
    std::ofstream(marker) << "403\n";
  } else {
    std::filesystem::remove(marker);
  }
}

void PlainFileServer::set_redirects(const std::vector<std::string>& targets) {
  std::ofstream file(folder_ + "/REDIRECTS");
  for (const std::string& target : targets) file << target << "\n";
}

std::string PlainFileServer::requests() const {
  return read_file(folder_ + ".log");
}

}  // namespace streamrelay::test_support
