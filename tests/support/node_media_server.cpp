#include "support/node_media_server.h"

#include <signal.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "support/npm_packages.h"

namespace streamrelay::test_support {
namespace {

constexpr const char* kVersion = "node-media-server@2.7.4";

}  // namespace

std::string install_node_media_server(std::string& log) {
  return install_npm_packages("node-media-server", {kVersion}, log);
}

NodeMediaServer::NodeMediaServer(std::string folder)
    : folder_(std::move(folder)), rtmp_port_(free_port()), http_port_(free_port()) {
  std::string log;
  std::string modules = install_node_media_server(log);
  if (modules.empty()) throw std::runtime_error("npm install node-media-server failed: " + log);
  std::filesystem::create_directories(folder_);
  process_ = Process({"node", STREAMRELAY_TEST_SUPPORT_DIR "/nms/server.js", modules,
                      std::to_string(rtmp_port_), std::to_string(http_port_)},
                     folder_ + "/server.log");
  if (!eventually(
          [&] { return read_file(folder_ + "/server.log").find("serving") != std::string::npos; },
          std::chrono::seconds(15))) {
    throw std::runtime_error("node-media-server did not start: " +
                             read_file(folder_ + "/server.log"));
  }
}

NodeMediaServer::~NodeMediaServer() {
  process_.stop(SIGTERM, std::chrono::seconds(2));
}

std::string NodeMediaServer::url(const std::string& stream) const {
  return "rtmp://127.0.0.1:" + std::to_string(rtmp_port_) + "/live/" + stream;
}

std::string NodeMediaServer::flv_url(const std::string& stream) const {
  return "http://127.0.0.1:" + std::to_string(http_port_) + "/live/" + stream + ".flv";
}

int NodeMediaServer::count_lines(const std::string& what, const std::string& stream) const {
  std::istringstream lines(read_file(folder_ + "/server.log"));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    count += line.find(what) != std::string::npos &&
             line.find("streamPath=/live/" + stream + " ") != std::string::npos;
  }
  return count;
}

int NodeMediaServer::publish_sessions(const std::string& stream) const {
  return count_lines("[rtmp publish] New stream", stream);
}

int NodeMediaServer::waiting_players(const std::string& stream) const {
  return count_lines("[http-flv play] Stream not found", stream);
}

}  // namespace streamrelay::test_support
