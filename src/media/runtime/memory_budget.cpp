#include "media/runtime/memory_budget.h"

namespace streamrelay::media::runtime {

MemoryBudget& MemoryBudget::shared() {
  static MemoryBudget budget;
  return budget;
}

bool MemoryBudget::try_reserve(int64_t bytes) {
  int64_t limit = limit_;
  int64_t now = used_.fetch_add(bytes) + bytes;
  if (limit <= 0 || now <= limit) return true;
  used_.fetch_sub(bytes);
  return false;
}

bool MemoryBudget::admits_new_relay() const {
  int64_t limit = limit_;
  return limit <= 0 || used_ * 10 < limit * 9;
}

std::string MemoryBudget::describe() const {
  constexpr int64_t kMb = 1024 * 1024;
  return "the node's relay memory budget is spent: " + std::to_string(used_ / kMb) + " of " +
         std::to_string(limit_ / kMb) + " MB in use (--relay-memory-mb)";
}

}  // namespace streamrelay::media::runtime
