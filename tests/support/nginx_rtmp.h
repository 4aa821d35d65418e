#pragma once

#include <string>

#include "support/process.h"

namespace streamrelay::test_support {

// A real nginx with the RTMP module on free loopback ports, its files in `folder`.
class NginxRtmp {
 public:
  explicit NginxRtmp(std::string folder);
  ~NginxRtmp();

  void start();
  void stop();
  int rtmp_port() const { return rtmp_port_; }
  int http_port() const { return http_port_; }
  std::string url(const std::string& stream, const std::string& app = "live") const;

  // Static files served over HTTP (with range requests): put them in files_folder().
  std::string files_folder() const;
  std::string file_url(const std::string& name) const;
  // The HLS playlist nginx makes of what is published to the "hls" application.
  std::string hls_url(const std::string& stream) const;

  std::string stat();
  // The id nginx gave the client publishing `stream`, -1 when nobody publishes it.
  long publisher_id(const std::string& stream);
  bool is_publishing(const std::string& stream) { return publisher_id(stream) >= 0; }
  // Clients playing `stream` (connected and waiting for it, or watching it).
  int players(const std::string& stream);
  // PUBLISH sessions of `stream` that have ended, from the access log.
  int ended_publish_sessions(const std::string& stream);
  // Publishers of `stream` that ended their session cleanly (deleteStream before they
  // disconnected) and those that just went away, from nginx's own log of the connections.
  struct Unpublishes {
    int clean = 0;
    int abrupt = 0;
  };
  Unpublishes unpublishes(const std::string& stream);

 private:
  std::string folder_;
  int rtmp_port_;
  int http_port_;
  Process process_;
};

}  // namespace streamrelay::test_support
