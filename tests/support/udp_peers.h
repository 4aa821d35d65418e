#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace streamrelay::test_support {

// Counts the UDP datagrams that reach a port on 127.0.0.1 and on ::1: what a listener would get.
class UdpCounter {
 public:
  UdpCounter();
  ~UdpCounter();
  int port() const { return port_; }
  int datagrams() const { return datagrams_; }

 private:
  int port_;
  std::vector<int> sockets_;
  std::atomic<int> datagrams_{0};
  std::atomic<bool> is_stopping_{false};
  std::thread thread_;
};

// An RTSP server that describes one H.264 track and answers SETUP with a UDP transport whose
// source is `rtp_host`:`rtp_port` (where a real server would send from, and where the client
// sends its first RTP and RTCP packets to open NAT mappings). It sends no media.
class FakeRtspServer {
 public:
  FakeRtspServer(std::string host, std::string rtp_host, int rtp_port);
  ~FakeRtspServer();
  std::string url() const;
  // The SETUP requests' Transport headers, in order.
  std::vector<std::string> setups();

 private:
  void serve(int client);

  std::string host_;
  std::string rtp_host_;
  int rtp_port_;
  int port_;
  int listener_;
  std::atomic<bool> is_stopping_{false};
  std::mutex mutex_;
  std::vector<std::string> setups_;
  std::vector<int> clients_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// Moves this process (and the processes it starts later) into a network namespace of its own,
// with loopback up and `address` added to it, so a test can have a peer on an address the egress
// policy counts as global while every packet stays inside the machine. False where the process
// may not (it needs CAP_SYS_ADMIN).
bool enter_private_network(const std::string& address);

}  // namespace streamrelay::test_support
