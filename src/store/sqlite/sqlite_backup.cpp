#include "store/sqlite/sqlite_backup.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include "store/sqlite/sqlite_handle.h"

namespace streamrelay::store {
namespace {

constexpr int kPagesPerStep = 256;  // ~1 MB with 4 KB pages: a writer waits at most that long

BackupResult failed(std::string error) {
  BackupResult result;
  result.error = std::move(error);
  return result;
}

}  // namespace

BackupResult backup_sqlite(const std::string& source, const std::string& target) {
  std::error_code fs_error;
  if (std::filesystem::exists(target, fs_error)) {
    return failed(target + " exists: a backup never overwrites a file");
  }
  if (!std::filesystem::exists(source, fs_error)) return failed("no database at " + source);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(source.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  SqlitePtr from(raw);
  if (rc != SQLITE_OK) {
    return failed("open " + source + ": " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_busy_timeout(from.get(), 5000);
  std::string partial = target + ".partial";
  std::filesystem::remove(partial, fs_error);
  raw = nullptr;
  rc = sqlite3_open_v2(partial.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  SqlitePtr to(raw);
  if (rc != SQLITE_OK) {
    return failed("create " + partial + ": " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_backup* backup = sqlite3_backup_init(to.get(), "main", from.get(), "main");
  if (!backup) return failed(std::string("backup: ") + sqlite3_errmsg(to.get()));
  BackupResult result;
  for (;;) {
    rc = sqlite3_backup_step(backup, kPagesPerStep);
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      std::this_thread::sleep_for(std::chrono::milliseconds(rc == SQLITE_OK ? 1 : 20));
      continue;
    }
    break;
  }
  result.pages = sqlite3_backup_pagecount(backup);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    to.reset();
    std::filesystem::remove(partial, fs_error);
    return failed(std::string("backup: ") + sqlite3_errstr(rc));
  }
  std::string verdict;
  try {
    Statement check(to.get(), "PRAGMA integrity_check");
    verdict = check.step() ? check.text(0) : "no answer";
  } catch (const StoreError& error) {
    verdict = error.what();
  }
  if (verdict != "ok") {
    to.reset();
    std::filesystem::remove(partial, fs_error);
    return failed("the copy failed its integrity check: " + verdict);
  }
  to.reset();
  std::filesystem::rename(partial, target, fs_error);
  if (fs_error) return failed("rename " + partial + ": " + fs_error.message());
  result.bytes = static_cast<int64_t>(std::filesystem::file_size(target, fs_error));
  result.is_ok = true;
  return result;
}

}  // namespace streamrelay::store
