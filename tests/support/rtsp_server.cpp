#include "support/rtsp_server.h"

#include <signal.h>

#include <filesystem>
#include <stdexcept>

namespace streamrelay::test_support {

RtspServer::RtspServer(const std::string& folder, const std::string& mp4_file)
    : port_(free_port()) {
  std::filesystem::create_directories(folder);
  std::string log = folder + "/rtsp-server.log";
  // Debian's interpreter, where the GStreamer bindings are installed.
  process_ = Process({"/usr/bin/python3", STREAMRELAY_TEST_SUPPORT_DIR "/rtsp/serve_file.py",
                      std::to_string(port_), mp4_file},
                     log);
  if (!eventually([&] { return read_file(log).find("serving") != std::string::npos; },
                  std::chrono::seconds(15))) {
    throw std::runtime_error("the RTSP server did not start: " + read_file(log));
  }
}

RtspServer::~RtspServer() {
  process_.stop(SIGTERM, std::chrono::seconds(2));
}

}  // namespace streamrelay::test_support
