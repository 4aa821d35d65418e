#include <utility>

#include "support/callback_receiver.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <thread>

#include "support/process.h"

namespace streamrelay::test_support {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct CallbackReceiver::Impl {
  int port = free_port();
  std::mutex mutex;
  std::vector<ReceivedCallback> received;
  int status = 200;
  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;

  void accept() {
    acceptor->async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      serve(std::make_shared<tcp::socket>(std::move(socket)));
      accept();
    });
  }

  void serve(std::shared_ptr<tcp::socket> socket) {
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto request = std::make_shared<http::request<http::string_body>>();
    http::async_read(*socket, *buffer, *request,
                     [this, socket, buffer, request](boost::system::error_code ec, size_t) {
                       if (ec) return;
                       ReceivedCallback callback;
                       for (const auto& field : *request) {
                         std::string name(field.name_string());
                         for (char& c : name) c = static_cast<char>(std::tolower(c));
                         callback.headers[name] = std::string(field.value());
                       }
                       callback.body = request->body();
                       int answer;
                       {
                         std::lock_guard lock(mutex);
                         received.push_back(std::move(callback));
                         answer = status;
                       }
                       auto response = std::make_shared<http::response<http::string_body>>(
                           static_cast<http::status>(answer), request->version());
                       response->body() = "ok";
                       response->keep_alive(request->keep_alive());
                       response->prepare_payload();
                       http::async_write(*socket, *response,
                                         [this, socket, buffer, request, response](
                                             boost::system::error_code write_ec, size_t) {
                                           if (!write_ec && request->keep_alive()) serve(socket);
                                         });
                     });
  }
};

CallbackReceiver::CallbackReceiver() : impl_(std::make_unique<Impl>()) {
  start();
}

CallbackReceiver::~CallbackReceiver() {
  stop();
}

void CallbackReceiver::start() {
  if (impl_->io) return;
  impl_->io = std::make_unique<asio::io_context>();
  impl_->acceptor = std::make_unique<tcp::acceptor>(*impl_->io);
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(impl_->port));
  impl_->acceptor->open(endpoint.protocol());
  impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
  // A port just given up can take a moment to be free again.
  boost::system::error_code ec;
  for (int attempt = 0; attempt < 50; ++attempt) {
    impl_->acceptor->bind(endpoint, ec);
    if (!ec) break;
    sleep_for(std::chrono::milliseconds(200));
  }
  if (ec) throw boost::system::system_error(ec, "bind");
  impl_->acceptor->listen();
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->io->run(); });
}

void CallbackReceiver::stop() {
  if (!impl_->io) return;
  impl_->io->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->acceptor.reset();
  impl_->io.reset();  // closes every connection
}

void CallbackReceiver::set_status(int status) {
  std::lock_guard lock(impl_->mutex);
  impl_->status = status;
}

std::string CallbackReceiver::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + "/hook";
}

std::vector<ReceivedCallback> CallbackReceiver::received() {
  std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

}  // namespace streamrelay::test_support
