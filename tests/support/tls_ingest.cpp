#include "support/tls_ingest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace streamrelay::test_support {

TlsIngest::TlsIngest(std::string folder, int rtmp_port)
    : folder_(std::move(folder)), port_(free_port()) {
  std::filesystem::create_directories(folder_ + "/logs");
  Process openssl({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                   "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                   "-keyout", folder_ + "/key.pem", "-out", certificate()},
                  folder_ + "/logs/openssl.log");
  if (openssl.wait(std::chrono::seconds(30)) != 0) {
    throw std::runtime_error("openssl failed: " + read_file(folder_ + "/logs/openssl.log"));
  }
  std::ofstream conf(folder_ + "/nginx.conf");
  conf << "load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n"
       << "daemon off;\nmaster_process off;\nworker_processes 1;\n"
       << "error_log " << folder_ << "/logs/error.log info;\n"
       << "pid " << folder_ << "/logs/nginx.pid;\n"
       << "events { worker_connections 256; }\n"
       << "stream {\n  server {\n    listen 127.0.0.1:" << port_ << " ssl;\n"
       << "    ssl_certificate " << certificate() << ";\n"
       << "    ssl_certificate_key " << folder_ << "/key.pem;\n"
       << "    proxy_pass 127.0.0.1:" << rtmp_port << ";\n  }\n}\n";
  conf.close();
  process_ = Process({"nginx", "-p", folder_, "-c", folder_ + "/nginx.conf"},
                     folder_ + "/logs/stdout.log");
  auto accepts_connections = [this] {
    int fd = connect_to_loopback(port_);
    if (fd >= 0) close(fd);
    return fd >= 0;
  };
  if (!eventually(accepts_connections, std::chrono::seconds(10))) {
    throw std::runtime_error("nginx (TLS) did not start: " +
                             read_file(folder_ + "/logs/error.log"));
  }
}

TlsIngest::~TlsIngest() {
  process_.stop(SIGQUIT, std::chrono::seconds(3));
}

std::string TlsIngest::url(const std::string& stream, const std::string& app) const {
  return "rtmps://127.0.0.1:" + std::to_string(port_) + "/" + app + "/" + stream;
}

}  // namespace streamrelay::test_support
