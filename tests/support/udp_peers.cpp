#include "support/udp_peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>

#include "support/process.h"

namespace streamrelay::test_support {
namespace {

int bound_udp(int family, const char* address, int port) {
  int fd = socket(family, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, address, &v4->sin_addr);
    length = sizeof *v4;
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, address, &v6->sin6_addr);
    length = sizeof *v6;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string header_value(const std::string& request, const std::string& name) {
  size_t at = request.find("\r\n" + name + ":");
  if (at == std::string::npos) return "";
  size_t start = at + name.size() + 3;
  size_t end = request.find("\r\n", start);
  std::string value = request.substr(start, end - start);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  return value;
}

}  // namespace

UdpCounter::UdpCounter() : port_(free_port()) {
  for (auto [family, address] : {std::pair{AF_INET, "127.0.0.1"}, std::pair{AF_INET6, "::1"}}) {
    int fd = bound_udp(family, address, port_);
    if (fd >= 0) sockets_.push_back(fd);
  }
  thread_ = std::thread([this] {
    std::vector<pollfd> polled;
    for (int fd : sockets_) polled.push_back({fd, POLLIN, 0});
    char buffer[65536];
    while (!is_stopping_) {
      if (poll(polled.data(), polled.size(), 100) <= 0) continue;
      for (const pollfd& entry : polled) {
        if ((entry.revents & POLLIN) && recv(entry.fd, buffer, sizeof buffer, 0) >= 0) {
          ++datagrams_;
        }
      }
    }
  });
}

UdpCounter::~UdpCounter() {
  is_stopping_ = true;
  thread_.join();
  for (int fd : sockets_) close(fd);
}

FakeRtspServer::FakeRtspServer(std::string host, std::string rtp_host, int rtp_port)
    : host_(std::move(host)), rtp_host_(std::move(rtp_host)), rtp_port_(rtp_port) {
  listener_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  inet_pton(AF_INET, host_.c_str(), &address.sin_addr);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener_, 8) != 0) {
    throw std::runtime_error("cannot listen on " + host_);
  }
  socklen_t length = sizeof address;
  getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] {
    while (!is_stopping_) {
      int client = accept(listener_, nullptr, nullptr);
      if (client < 0) break;
      std::lock_guard lock(mutex_);
      clients_.push_back(client);
      threads_.emplace_back([this, client] { serve(client); });
    }
  });
}

FakeRtspServer::~FakeRtspServer() {
  is_stopping_ = true;
  shutdown(listener_, SHUT_RDWR);
  close(listener_);
  acceptor_.join();
  std::lock_guard lock(mutex_);
  for (int client : clients_) shutdown(client, SHUT_RDWR);
  for (std::thread& thread : threads_) thread.join();
  for (int client : clients_) close(client);
}

std::string FakeRtspServer::url() const {
  return "rtsp://" + host_ + ":" + std::to_string(port_) + "/camera";
}

std::vector<std::string> FakeRtspServer::setups() {
  std::lock_guard lock(mutex_);
  return setups_;
}

void FakeRtspServer::serve(int client) {
  const std::string sdp = "v=0\r\no=- 0 0 IN IP4 " + host_ +
                          "\r\ns=camera\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n" +
                          "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n" +
                          "a=fmtp:96 packetization-mode=1\r\na=control:track1\r\n";
  std::string pending;
  char buffer[4096];
  for (;;) {
    ssize_t got = recv(client, buffer, sizeof buffer, 0);
    if (got <= 0) return;
    pending.append(buffer, static_cast<size_t>(got));
    for (size_t end = pending.find("\r\n\r\n"); end != std::string::npos;
         end = pending.find("\r\n\r\n")) {
      std::string request = pending.substr(0, end + 2);
      pending.erase(0, end + 4);
      std::string method = request.substr(0, request.find(' '));
      std::string answer =
          "RTSP/1.0 200 OK\r\nCSeq: " + header_value(request, "CSeq") + "\r\nSession: 4711\r\n";
      if (method == "DESCRIBE") {
        answer += "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(sdp.size()) +
                  "\r\n\r\n" + sdp;
      } else if (method == "SETUP") {
        std::string transport = header_value(request, "Transport");
        {
          std::lock_guard lock(mutex_);
          setups_.push_back(transport);
        }
        size_t ports = transport.find("client_port=");
        std::string client_ports =
            ports == std::string::npos
                ? "client_port=5000-5001"
                : transport.substr(ports, transport.find(';', ports) - ports);
        answer += "Transport: RTP/AVP/UDP;unicast;" + client_ports +
                  ";server_port=" + std::to_string(rtp_port_) + "-" +
                  std::to_string(rtp_port_ + 1) + ";source=" + rtp_host_ + "\r\n\r\n";
      } else {
        answer += "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n";
      }
      send(client, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
  }
}

bool enter_private_network(const std::string& address) {
  if (unshare(CLONE_NEWNET) != 0) return false;
  for (std::vector<std::string> command :
       {std::vector<std::string>{"ip", "link", "set", "lo", "up"},
        std::vector<std::string>{"ip", "address", "add", address + "/32", "dev", "lo"}}) {
    Process ip(command, "/dev/null");
    if (ip.wait(std::chrono::seconds(10)) != 0) return false;
  }
  return true;
}

}  // namespace streamrelay::test_support
