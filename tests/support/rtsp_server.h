#pragma once

#include <string>

#include "support/process.h"

namespace streamrelay::test_support {

// A real RTSP server on loopback (GStreamer's gst-rtsp-server, driven by a small Python script
// with Debian's GObject bindings) playing an MP4 file in real time as a camera would.
class RtspServer {
 public:
  RtspServer(const std::string& folder, const std::string& mp4_file);
  ~RtspServer();
  std::string url() const { return "rtsp://127.0.0.1:" + std::to_string(port_) + "/camera"; }

 private:
  int port_;
  Process process_;
};

}  // namespace streamrelay::test_support
