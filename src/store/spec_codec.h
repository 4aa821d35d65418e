#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "task/task_spec.h"

namespace streamrelay::store {

// A spec's storage form: one JSON document, so adding a field needs no schema change.
std::string encode_spec(const task::TaskSpec& spec);
task::TaskSpec decode_spec(std::string_view text);

// Decoded specs by task (creation sequence) and revision: a spec only changes with its
// revision, and parsing JSON is most of what reading a page of tasks costs. Bounded; shared by a
// store's connections.
class SpecCache {
 public:
  task::TaskSpec decode(std::string_view text, int64_t seq, int64_t revision);
  // A purged task's entry goes with it.
  void forget(int64_t seq) {
    std::lock_guard lock(mutex_);
    entries_.erase(seq);
  }

 private:
  static constexpr size_t kMaxEntries = 20000;
  struct Entry {
    int64_t revision;
    task::TaskSpec spec;
  };
  std::mutex mutex_;
  std::unordered_map<int64_t, Entry> entries_;
};

}  // namespace streamrelay::store
