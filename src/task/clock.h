#pragma once

#include <chrono>
#include <cstdint>

namespace streamrelay::task {

// Wall-clock time in unix seconds; a test hands in its own.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_seconds() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_seconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace streamrelay::task
