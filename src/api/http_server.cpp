// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include "api/http_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>

namespace streamrelay::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

HttpRequest to_request(const http::request<http::string_body>& message, const std::string& peer) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    request.headers[name] = std::string(field.value());
  }
  request.body = message.body();
  request.peer_address = peer;
  return request;
}

http::response<http::string_body> to_message(const HttpResponse& response, unsigned version,
                                             bool keep_alive) {
  http::response<http::string_body> message{static_cast<http::status>(response.status), version};
  message.set(http::field::server, "streamrelay");
  for (const auto& [name, value] : response.headers) message.set(name, value);
  message.body() = response.body;
  message.keep_alive(keep_alive);
  message.prepare_payload();
  return message;
}

TransportError transport_error_of(const boost::system::error_code& ec) {
  if (ec == http::error::body_limit) return TransportError::body_too_large;
  if (ec == http::error::header_limit) return TransportError::header_too_large;
  return TransportError::malformed;
}

bool is_parse_error(const boost::system::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

}  // namespace

struct HttpServer::Impl {
  asio::io_context& io;
  tcp::acceptor acceptor;
  RequestHandler handler;
  HttpLimits limits;

  Impl(asio::io_context& context, const std::string& host, uint16_t port, RequestHandler h,
       HttpLimits l)
      : io(context), acceptor(context), handler(std::move(h)), limits(l) {
    tcp::endpoint endpoint(asio::ip::make_address(host), port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(
          asio::make_strand(io), asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) continue;
      auto executor = socket.get_executor();
      asio::co_spawn(executor, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> send(beast::tcp_stream& stream, const HttpResponse& response,
                             unsigned version, bool keep_alive, boost::system::error_code& ec) {
    auto message = to_message(response, version, keep_alive);
    stream.expires_after(limits.write_timeout);
    co_await http::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    boost::system::error_code ec;
    std::string peer = socket.remote_endpoint(ec).address().to_string();
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(limits.max_body_bytes);
      parser.header_limit(static_cast<uint32_t>(limits.max_header_bytes));
      stream.expires_after(limits.read_timeout);
      co_await http::async_read_header(stream, buffer, parser,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (!ec && parser.get()[http::field::expect] == "100-continue") {
        http::response<http::empty_body> proceed{http::status::continue_, 11};
        co_await http::async_write(stream, proceed, asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!ec) {
        co_await http::async_read(stream, buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec) {
        if (is_parse_error(ec)) {
          HttpRequest failed;
          failed.transport_error = transport_error_of(ec);
          failed.peer_address = peer;
          if (parser.is_header_done()) failed = to_request(parser.get(), peer);
          failed.transport_error = transport_error_of(ec);
          failed.body.clear();
          boost::system::error_code write_ec;
          co_await send(stream, handler(failed), 11, false, write_ec);
        }
        break;
      }
      const auto& message = parser.get();
      HttpResponse response = handler(to_request(message, peer));
      bool keep_alive = message.keep_alive();
      co_await send(stream, response, message.version(), keep_alive, ec);
      if (ec || !keep_alive) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
};

HttpServer::HttpServer(asio::io_context& io, const std::string& host, uint16_t port,
                       RequestHandler handler, HttpLimits limits)
    : impl_(std::make_unique<Impl>(io, host, port, std::move(handler), limits)) {}

HttpServer::~HttpServer() = default;

void HttpServer::start() {
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->accept_loop(), asio::detached);
}

void HttpServer::stop() {
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
}

uint16_t HttpServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

}  // namespace streamrelay::api
