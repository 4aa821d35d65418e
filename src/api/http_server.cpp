// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include "api/http_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <optional>
#include <string_view>

#include "api/connection_limits.h"
#include "observe/metrics.h"

namespace streamrelay::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// A refusal is logged at most this often per client (or per limit), so a flood cannot flood the
// log; the refusal counter in /metrics has every one.
constexpr auto kRefusalWarningInterval = std::chrono::seconds(10);
// Out of file descriptors, accepting again at once would spin; connections wait in the backlog.
constexpr auto kAcceptPauseWhenOutOfFiles = std::chrono::milliseconds(100);
// A request that changes something waits for the store's sync to disk, so it runs on one of these
// threads, never on an HTTP thread; writes that wait together commit together, so a few carry a
// burst.
constexpr size_t kWritingThreads = 4;
// Written to a connection refused at accept without reading its request: one small write that
// never waits (the peer may not read).
constexpr std::string_view kRefusedReply =
    "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
    "Content-Length: 0\r\n\r\n";

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

http::response<http::string_body> to_message(HttpResponse response, unsigned version,
                                             bool keep_alive) {
  http::response<http::string_body> message{static_cast<http::status>(response.status), version};
  message.set(http::field::server, "streamrelay");
  for (const auto& [name, value] : response.headers) message.set(name, value);
  message.body() = std::move(response.body);
  message.keep_alive(keep_alive);
  message.prepare_payload();
  return message;
}

HttpResponse busy_response() {
  HttpResponse response;
  response.status = 503;
  response.headers = {{"Content-Type", "application/json"}, {"Retry-After", "1"}};
  response.body = R"({"error_msg":"the server is reading too many requests; retry later"})";
  return response;
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

// GET and HEAD only read; anything else may write.
bool is_read_only(http::verb method) {
  return method == http::verb::get || method == http::verb::head;
}

bool is_out_of_files(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors ||
         ec == boost::system::errc::too_many_files_open_in_system;
}

// A coroutine of its own, not a lambda: GCC 12 frees a coroutine lambda's captures twice.
asio::awaitable<HttpResponse> handle(const RequestHandler& handler, HttpRequest request) {
  co_return handler(request);
}

void count_refusal(const char* reason) {
  observe::metrics().http_refusals.add({{"reason", reason}});
}

}  // namespace

struct HttpServer::Impl {
  using Parser = http::request_parser<http::string_body>;

  asio::io_context& io;
  tcp::acceptor acceptor;
  RequestHandler handler;
  HttpLimits limits;
  // Shared with every connection's slot and reservation: a session can outlive the server.
  std::shared_ptr<ConnectionCounter> connections;
  std::shared_ptr<PendingRequestBudget> pending_requests;
  WarningThrottle client_cap_warnings{kRefusalWarningInterval};
  WarningThrottle server_warnings{kRefusalWarningInterval};
  // Last, so they stop first: a request in progress ends before anything it uses goes.
  asio::thread_pool writers{kWritingThreads};
  std::unique_ptr<asio::thread_pool> readers;  // when reads wait on the network

  Impl(asio::io_context& context, const std::string& host, uint16_t port, RequestHandler h,
       HttpLimits l)
      : io(context),
        acceptor(context),
        handler(std::move(h)),
        limits(l),
        connections(
            std::make_shared<ConnectionCounter>(l.max_connections_per_client, l.max_connections)),
        pending_requests(std::make_shared<PendingRequestBudget>(l.max_pending_request_bytes)) {
    if (l.reading_threads > 0) readers = std::make_unique<asio::thread_pool>(l.reading_threads);
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
      if (is_out_of_files(ec)) co_await pause_accepting();
      if (ec) continue;
      admit(std::move(socket));
    }
  }

  asio::awaitable<void> pause_accepting() {
    if (server_warnings.should_warn("files", std::chrono::steady_clock::now())) {
      spdlog::warn(
          "event=http_out_of_files max_connections={} note=\"the process has no file "
          "descriptor left for a new connection; raise its open-files limit or lower "
          "--max-connections\"",
          limits.max_connections);
    }
    asio::steady_timer pause(acceptor.get_executor(), kAcceptPauseWhenOutOfFiles);
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  // Serves the connection, or closes it at once when its client or the server is at its cap.
  void admit(tcp::socket socket) {
    boost::system::error_code ec;
    std::string peer = socket.remote_endpoint(ec).address().to_string();
    if (ec) return;  // the peer has already gone
    auto admission = connections->admit(peer);
    if (admission != ConnectionCounter::Admission::admitted) {
      refuse(socket, peer, admission);
      return;
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve(std::move(socket), peer, ConnectionSlot(connections, peer)),
                   asio::detached);
  }

  void refuse(tcp::socket& socket, const std::string& peer, ConnectionCounter::Admission why) {
    bool is_client_cap = why == ConnectionCounter::Admission::client_at_cap;
    count_refusal(is_client_cap ? "client_connections" : "connections");
    if (is_client_cap) {
      warn_client_at_cap(peer);
    } else {
      warn_server_at_cap(peer);
    }
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(kRefusedReply), ec);
    socket.close(ec);
  }

  void warn_client_at_cap(const std::string& peer) {
    if (!client_cap_warnings.should_warn(peer, std::chrono::steady_clock::now())) return;
    spdlog::warn(
        "event=http_client_connection_cap client={} max_connections_per_client={} "
        "note=\"new connections from this address are refused while it holds this many\"",
        peer, limits.max_connections_per_client);
  }

  void warn_server_at_cap(const std::string& peer) {
    if (!server_warnings.should_warn("connections", std::chrono::steady_clock::now())) return;
    spdlog::warn(
        "event=http_connection_cap client={} max_connections={} note=\"new connections are "
        "refused while the server holds this many\"",
        peer, limits.max_connections);
  }

  asio::awaitable<void> send(beast::tcp_stream& stream, HttpResponse response, unsigned version,
                             bool keep_alive, boost::system::error_code& ec) {
    auto message = to_message(std::move(response), version, keep_alive);
    stream.expires_after(limits.write_timeout);
    co_await http::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<void> serve(tcp::socket socket, std::string peer,
                              [[maybe_unused]] ConnectionSlot slot) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    while (co_await serve_request(stream, buffer, peer)) {
      buffer.shrink_to_fit();  // an idle kept-alive connection holds no request-sized buffer
    }
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // Reads, handles and answers one request; whether the connection carries on.
  asio::awaitable<bool> serve_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                      const std::string& peer) {
    Parser parser;
    parser.body_limit(limits.max_body_bytes);
    parser.header_limit(static_cast<uint32_t>(limits.max_header_bytes));
    boost::system::error_code ec;
    stream.expires_after(limits.read_timeout);
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return co_await answer_unreadable(stream, parser, peer, ec);
    auto reservation = reserve_body(parser, peer);
    if (!reservation) {
      co_await send(stream, busy_response(), parser.get().version(), false, ec);
      co_return false;
    }
    co_await read_body(stream, buffer, parser, ec);
    if (ec) co_return co_await answer_unreadable(stream, parser, peer, ec);
    const auto& message = parser.get();
    HttpResponse response;
    // Not in a conditional expression: GCC 12 miscompiles a co_await there.
    if (!is_read_only(message.method())) {
      response = co_await handle_on(writers, to_request(message, peer));
    } else if (readers) {
      response = co_await handle_on(*readers, to_request(message, peer));
    } else {
      response = handler(to_request(message, peer));
    }
    bool keep_alive = message.keep_alive();
    co_await send(stream, std::move(response), message.version(), keep_alive, ec);
    co_return !ec && keep_alive;
  }

  asio::awaitable<HttpResponse> handle_on(asio::thread_pool& pool, HttpRequest request) {
    co_return co_await asio::co_spawn(pool, handle(handler, std::move(request)),
                                      asio::use_awaitable);
  }

  // The body's share of the pending-request budget: its declared length, or the body limit when
  // it is chunked (its length is unknown until the end). None when the budget is spent.
  std::optional<BudgetReservation> reserve_body(const Parser& parser, const std::string& peer) {
    size_t bytes = 0;
    if (auto length = parser.content_length()) bytes = static_cast<size_t>(*length);
    if (parser.chunked()) bytes = limits.max_body_bytes;
    if (auto reservation = reserve_from(pending_requests, bytes)) return reservation;
    count_refusal("pending_request_bytes");
    if (server_warnings.should_warn("pending", std::chrono::steady_clock::now())) {
      spdlog::warn(
          "event=http_pending_request_budget_spent client={} max_pending_request_bytes={} "
          "note=\"requests with a body are answered 503 until those being read are done\"",
          peer, limits.max_pending_request_bytes);
    }
    return std::nullopt;
  }

  asio::awaitable<void> read_body(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                  Parser& parser, boost::system::error_code& ec) {
    if (parser.get()[http::field::expect] == "100-continue") {
      http::response<http::empty_body> proceed{http::status::continue_, 11};
      co_await http::async_write(stream, proceed, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
  }

  // Answers a request that could not be read, when there is one to answer; always false: the
  // connection ends.
  asio::awaitable<bool> answer_unreadable(beast::tcp_stream& stream, Parser& parser,
                                          const std::string& peer,
                                          const boost::system::error_code& ec) {
    if (!is_parse_error(ec)) co_return false;
    HttpRequest failed;
    failed.peer_address = peer;
    if (parser.is_header_done()) failed = to_request(parser.get(), peer);
    failed.transport_error = transport_error_of(ec);
    failed.body.clear();
    boost::system::error_code write_ec;
    co_await send(stream, handler(failed), 11, false, write_ec);
    co_return false;
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
