#pragma once

#include <string>

#include "support/process.h"

namespace streamrelay::test_support {

// node-media-server (npm, a pinned version installed once into the build tree) on free
// loopback ports: an RTMP server with HTTP-FLV, another stack than nginx-rtmp.
class NodeMediaServer {
 public:
  explicit NodeMediaServer(std::string folder);
  ~NodeMediaServer();

  std::string url(const std::string& stream) const;
  std::string flv_url(const std::string& stream) const;
  // Publish sessions of `stream` the server logged ("[rtmp publish] New stream").
  int publish_sessions(const std::string& stream) const;
  // HTTP-FLV readers of `stream` that came before it was published (they wait for it).
  int waiting_players(const std::string& stream) const;

 private:
  int count_lines(const std::string& what, const std::string& stream) const;

  std::string folder_;
  int rtmp_port_;
  int http_port_;
  Process process_;
};

// Installs node-media-server into the build tree once; the folder, or "" with `log` saying why.
std::string install_node_media_server(std::string& log);

}  // namespace streamrelay::test_support
