#pragma once

#include <cstdint>
#include <string>

namespace streamrelay::store {

struct BackupResult {
  bool is_ok = false;
  std::string error;  // why not, when not
  int64_t pages = 0;
  int64_t bytes = 0;
};

// A consistent copy of the SQLite database at `source` into a new file `target` while the
// service may be writing to it (SQLite's online backup API, a few hundred pages at a time so
// writers wait at most a moment), checked with PRAGMA integrity_check. The copy is written next
// to `target` and renamed onto it when whole; an existing `target` is refused.
BackupResult backup_sqlite(const std::string& source, const std::string& target);

}  // namespace streamrelay::store
