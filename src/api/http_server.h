#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http_types.h"

namespace boost::asio {
class io_context;
}

namespace streamrelay::api {

struct HttpLimits {
  size_t max_body_bytes = 64 * 1024;
  size_t max_header_bytes = 16 * 1024;
  // A request (headers and body, or the wait for the next request on a kept-alive connection)
  // must arrive within this time; slow senders are cut off.
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds write_timeout{30};
  // An API client needs a few connections; an address holding this many is flooding, and its
  // further connections are closed at once so that it cannot take what other clients need.
  size_t max_connections_per_client = 64;
  // Every connection holds a socket and buffers (up to the header limit while its request is
  // read); past this many in all new ones are closed at once, keeping memory and files bounded.
  size_t max_connections = 1024;
  // Bodies being read, in all: each reserves its declared length (the body limit when chunked)
  // before it is read, so slow senders cannot take the memory; beyond it they are answered 503.
  size_t max_pending_request_bytes = 16 * 1024 * 1024;
  // Reads that wait on the network (a store on another server) run on this many threads of the
  // server's own, as writes do, so an HTTP thread never waits out a round trip; 0: on the HTTP
  // threads (an embedded store answers at once).
  size_t reading_threads = 0;
};

using RequestHandler = std::function<HttpResponse(const HttpRequest&)>;

// An HTTP/1.1 server (keep-alive, 100-continue, limits and timeouts) on an Asio io_context.
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, const std::string& host, uint16_t port,
             RequestHandler handler, HttpLimits limits = {});
  ~HttpServer();

  void start();
  void stop();
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace streamrelay::api
