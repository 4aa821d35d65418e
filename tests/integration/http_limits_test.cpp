// A flood of connections from one client address, each holding an unfinished request, must not
// take the process's memory or its health check, and the memory must come back when it ends.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;

namespace {

// As many connections as the flood that once took the service from 61 to 209 MB.
constexpr int kFloodConnections = 1500;
// Each request is about 75 KB and unfinished, as in that flood: a padded header under the 16 KiB
// header limit, a body declared at the 64 KiB body limit (a larger one is refused at once with a
// 413) of which 60 KB is sent.
constexpr size_t kHeaderPaddingBytes = 14 * 1024;
constexpr size_t kDeclaredBodyBytes = 64 * 1024;
constexpr size_t kSentBodyBytes = 60 * 1024;
// Any 127.x address reaches loopback: the flood is another client than the test's own requests.
constexpr const char* kFloodAddress = "127.0.0.2";
// Time for the server to read what the flood sent before memory is measured.
constexpr auto kFloodSettleTime = 3s;
// What the connections one address may hold can take; unbounded, the flood takes over 150 MB.
constexpr long kMostFloodGrowthKb = 32 * 1024;

void raise_open_file_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

// AddressSanitizer keeps freed memory in a quarantine of up to 256 MB and never gives it back by
// default, so a sanitized server's RSS grows with every allocation: the server is started without
// the quarantine and with free memory returned to the system (other builds ignore the setting).
void make_sanitizer_memory_comparable_for_children() {
  const char* given = std::getenv("ASAN_OPTIONS");
  std::string options = given ? std::string(given) + ":" : "";
  options += "quarantine_size_mb=0:allocator_release_to_os_interval_ms=500";
  setenv("ASAN_OPTIONS", options.c_str(), 1);
}

long rss_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    long kb = 0;
    fields >> kb;
    return kb;
  }
  return -1;
}

bool is_alive(pid_t pid) {
  return kill(pid, 0) == 0 && rss_kb(pid) > 0;
}

// A TCP socket from `source` to the server, or -1; sends and receives give up after a second.
int connect_from(const char* source, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval timeout{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // refused by the server: a flood connection may be
    sent += static_cast<size_t>(n);
  }
}

const std::string kTasksPath = "/v1/p1/pull/stream/task";

// A task creation declaring a `declared` byte body of which `sent` bytes follow.
std::string post_request(size_t padding, size_t declared, size_t sent) {
  return "POST " + kTasksPath +
         " HTTP/1.1\r\nHost: relay\r\nX-Padding: " + std::string(padding, 'p') +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(declared) +
         "\r\n\r\n" + std::string(sent, 'x');
}

std::string get_request(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n";
}

// Connections from kFloodAddress, each having sent `request`; closed when destroyed.
class ConnectionFlood {
 public:
  ConnectionFlood(int port, int count, const std::string& request) {
    for (int i = 0; i < count; ++i) {
      int fd = connect_from(kFloodAddress, port);
      if (fd < 0) continue;
      send_all(fd, request);
      fds_.push_back(fd);
    }
  }
  ~ConnectionFlood() {
    for (int fd : fds_) close(fd);
  }
  ConnectionFlood(const ConnectionFlood&) = delete;
  ConnectionFlood& operator=(const ConnectionFlood&) = delete;

  size_t opened() const { return fds_.size(); }

 private:
  std::vector<int> fds_;
};

// The status line answering `request` sent from `source`, or "" when the server closed without
// answering (or had not answered within a second).
std::string status_line_of(const char* source, int port, const std::string& request) {
  int fd = connect_from(source, port);
  if (fd < 0) return "";
  send_all(fd, request);
  char reply[512] = {};
  ssize_t n = recv(fd, reply, sizeof reply - 1, 0);
  close(fd);
  if (n <= 0) return "";
  std::string text(reply, static_cast<size_t>(n));
  return text.substr(0, text.find("\r\n"));
}

using Milliseconds = std::chrono::duration<double, std::milli>;

// The fastest of three health checks that answered 200 (a long time when none did).
Milliseconds best_healthz_time(const std::string& url) {
  auto best = Milliseconds::max();
  for (int attempt = 0; attempt < 3; ++attempt) {
    HttpClient client;
    auto start = std::chrono::steady_clock::now();
    HttpReply reply = client.request("GET", url, "", {}, 5s);
    Milliseconds took = std::chrono::steady_clock::now() - start;
    if (reply.status == 200) best = std::min(best, took);
  }
  return best;
}

size_t occurrences(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

bool is_status(const std::string& status_line, int status) {
  return status_line.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0) == 0;
}

}  // namespace

TEST(HttpLimits, AFloodFromOneAddressLeavesHealthAndMemoryAloneAndItsMemoryComesBack) {
  raise_open_file_limit();
  make_sanitizer_memory_comparable_for_children();
  TempDir dir;
  RelayServer server(dir.file("relay"), {"--log-level", "info"});
  EXPECT_EQ(server.call("GET", kTasksPath).status, 200);
  sleep_for(1s);
  long before_kb = rss_kb(server.pid());
  ASSERT_GT(before_kb, 0);

  long during_kb = 0;
  {
    ConnectionFlood flood(server.port(), kFloodConnections,
                          post_request(kHeaderPaddingBytes, kDeclaredBodyBytes, kSentBodyBytes));
    sleep_for(kFloodSettleTime);
    during_kb = rss_kb(server.pid());
    auto healthz_time = best_healthz_time(server.base_url() + "/healthz");
    std::string flooder_status =
        status_line_of(kFloodAddress, server.port(), get_request(kTasksPath));
    std::cout << "flood: connections=" << flood.opened() << " rss_before_kb=" << before_kb
              << " rss_during_kb=" << during_kb << " healthz_ms=" << healthz_time.count()
              << " flooder_request=\"" << flooder_status << "\"\n";
    EXPECT_LT(healthz_time, 100ms);
    EXPECT_LT(during_kb - before_kb, kMostFloodGrowthKb);
    EXPECT_TRUE(is_alive(server.pid()));
  }

  long after_kb = 0;
  bool is_back = eventually(
      [&] {
        after_kb = rss_kb(server.pid());
        return after_kb > 0 && after_kb <= before_kb * 11 / 10;
      },
      10s);
  std::cout << "after flood: rss_after_kb=" << after_kb << "\n";
  EXPECT_TRUE(is_back) << "RSS " << before_kb << " kB before the flood, " << during_kb
                       << " kB during, " << after_kb << " kB after";
  ASSERT_TRUE(is_alive(server.pid()));
  bool is_served = eventually(
      [&] {
        return is_status(status_line_of(kFloodAddress, server.port(), get_request(kTasksPath)),
                         200);
      },
      5s);
  EXPECT_TRUE(is_served) << "the flooding address is not served again after the flood";
  EXPECT_EQ(server.call("GET", kTasksPath).status, 200);
  EXPECT_EQ(occurrences(server.log(), "event=http_client_connection_cap client=127.0.0.2 "), 1u)
      << "the cap is logged once per address, not once per refused connection";
}

TEST(HttpLimits, BodiesBeyondThePendingRequestBudgetAre503AndBodilessRequestsAreServed) {
  TempDir dir;
  RelayServer server(dir.file("relay"), {"--max-pending-request-mb", "1"});
  // Sixteen bodies of 63 KiB, each waiting for the rest of it, hold all but 16 KiB of the MiB.
  ConnectionFlood flood(server.port(), 16, post_request(0, 63 * 1024, 1024));
  sleep_for(1s);
  std::string one_more = post_request(0, kDeclaredBodyBytes, 1024);
  EXPECT_TRUE(is_status(status_line_of("127.0.0.3", server.port(), one_more), 503));
  EXPECT_EQ(server.call("GET", "/healthz").status, 200);
  EXPECT_EQ(server.call("GET", kTasksPath).status, 200);
  EXPECT_EQ(server.call("POST", kTasksPath, nlohmann::json::object()).status, 400)
      << "a small body still fits";
}

TEST(HttpLimits, PastTheServersConnectionCapNewConnectionsAreClosedUntilOneEnds) {
  TempDir dir;
  RelayServer server(dir.file("relay"), {"--max-connections", "8"});
  sleep_for(500ms);  // the start-up probe's connection is closed, so the eight below fill the cap
  std::string status;
  {
    ConnectionFlood idle(server.port(), 8, "");
    sleep_for(500ms);
    status = status_line_of("127.0.0.3", server.port(), get_request("/healthz"));
    EXPECT_TRUE(status.empty() || is_status(status, 503)) << status;
  }
  bool is_served = eventually(
      [&] {
        return is_status(status_line_of("127.0.0.3", server.port(), get_request("/healthz")), 200);
      },
      5s);
  EXPECT_TRUE(is_served);
  EXPECT_NE(server.log().find("event=http_connection_cap"), std::string::npos);
}
