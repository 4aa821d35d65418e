#include "task/uuid.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>

namespace streamrelay::task {

std::string new_uuid() {
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }()};
  auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch);
  auto within_ms = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - ms).count();
  // RFC 9562, method 3: the 12 bits after the version hold the fraction of the millisecond.
  auto fraction = static_cast<uint64_t>(within_ms * 4096 / 1'000'000);
  uint64_t high = (static_cast<uint64_t>(ms.count()) << 16) | 0x7000ULL | (fraction & 0xFFF);
  uint64_t low = (engine() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC variant
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xFFFF), static_cast<unsigned>(high & 0xFFFF),
                static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
  return text;
}

}  // namespace streamrelay::task
