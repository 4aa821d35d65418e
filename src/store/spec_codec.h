#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "task/task_spec.h"

namespace streamrelay::store {

// A spec's storage form: one JSON document, so adding a field needs no schema change.
std::string encode_spec(const task::TaskSpec& spec);
task::TaskSpec decode_spec(const std::string& text);

// Decoded specs by task (creation sequence) and revision: a spec only changes with its
// revision, and parsing JSON is most of what reading a page of tasks costs. Bounded.
class SpecCache {
 public:
  task::TaskSpec decode(const std::string& text, int64_t seq, int64_t revision);
  // A purged task's entry goes with it.
  void forget(int64_t seq) { entries_.erase(seq); }

 private:
  static constexpr size_t kMaxEntries = 20000;
  struct Entry {
    int64_t revision;
    task::TaskSpec spec;
  };
  std::unordered_map<int64_t, Entry> entries_;
};

}  // namespace streamrelay::store
