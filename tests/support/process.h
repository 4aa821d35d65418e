#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace streamrelay::test_support {

// A child process (stdout and stderr to a log file), killed and reaped when destroyed.
class Process {
 public:
  Process() = default;
  // stderr goes to `error_path`, or with stdout when it is empty; stdin reads `input_path`, or
  // nothing when it is empty.
  Process(std::vector<std::string> argv, const std::string& log_path,
          const std::string& error_path = "", const std::string& input_path = "");
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool is_running();
  void signal(int signal_number);
  // Sends `signal_number`, waits up to `timeout`, then SIGKILL; reaps.
  void stop(int signal_number, std::chrono::milliseconds timeout);
  // Waits for the process to exit; its exit status, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

// A free TCP port on 127.0.0.1 (bound once and released).
int free_port();
// A TCP connection to 127.0.0.1:`port` (the socket), or -1 when nothing accepts it.
int connect_to_loopback(int port);
// A TCP socket listening on 127.0.0.1:`port`, or -1 when it cannot.
int listen_on_loopback(int port);

// Polls `condition` every 50 ms until it holds or `timeout` passes.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    struct timespec pause {
      0, 50 * 1000 * 1000
    };
    nanosleep(&pause, nullptr);
  }
  return condition();
}

void sleep_for(std::chrono::milliseconds duration);

std::string read_file(const std::string& path);

}  // namespace streamrelay::test_support
