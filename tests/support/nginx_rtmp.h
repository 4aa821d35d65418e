#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/process.h"

namespace streamrelay::test_support {

// A real nginx with the RTMP module on free loopback ports, its files in `folder`.
class NginxRtmp {
 public:
  // `extra_applications`: more `application` blocks for the rtmp server (e.g. one that pushes).
  explicit NginxRtmp(std::string folder, const std::string& extra_applications = "");
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
  // The publish sessions of `stream` as nginx logged them, in order: when each began and ended
  // (unix seconds; 0 while it goes on) and whether the publisher ended it cleanly (deleteStream
  // before it disconnected) or just went away.
  struct PublishSession {
    int64_t began = 0;
    int64_t ended = 0;
    bool is_clean = false;
  };
  std::vector<PublishSession> publish_sessions(const std::string& stream);
  struct Unpublishes {
    int clean = 0;
    int abrupt = 0;
  };
  Unpublishes unpublishes(const std::string& stream);

  // What nginx logged of one client connection: its connect (the app split from its query, and
  // the tcUrl) and the publish or play that followed (the name split from its query).
  struct ClientSession {
    std::string connection;  // nginx's "*N"
    std::string app;
    std::string app_args;
    std::string tc_url;
    std::string command;  // "publish", "play", or empty when neither came
    std::string name;
    std::string args;
    std::string type;  // publish only: "live", "record", ...
  };
  // Every connection that sent connect, in the order they did.
  std::vector<ClientSession> client_sessions();

 private:
  std::string folder_;
  int rtmp_port_;
  int http_port_;
  Process process_;
};

}  // namespace streamrelay::test_support
