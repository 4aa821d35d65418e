#pragma once

#include <string>

#include "support/process.h"

namespace streamrelay::test_support {

// An rtmps:// ingest on loopback: nginx's stream module terminating TLS in front of an RTMP
// server, with a self-signed certificate for 127.0.0.1 and localhost made by openssl.
class TlsIngest {
 public:
  TlsIngest(std::string folder, int rtmp_port);
  ~TlsIngest();

  std::string url(const std::string& stream, const std::string& app = "live") const;
  // The certificate (PEM), which is its own CA.
  std::string certificate() const { return folder_ + "/cert.pem"; }

 private:
  std::string folder_;
  int port_;
  Process process_;
};

}  // namespace streamrelay::test_support
