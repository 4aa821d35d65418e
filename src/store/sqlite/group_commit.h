#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <vector>

namespace streamrelay::store {

// Writes that arrive while another group commits wait for it, then commit together: one
// transaction with a savepoint each (a write that fails undoes only its own changes) and one
// sync for all. Each caller returns once its changes are durable, as if it had committed alone.
class GroupCommit {
 public:
  // `connection_mutex` guards `db` against its other users.
  GroupCommit(sqlite3* db, std::mutex& connection_mutex)
      : db_(db), connection_mutex_(connection_mutex) {}

  // Runs `write` in the next group's transaction: its changes stay if it returns true and are
  // undone if it returns false or throws. Returns once the group committed; rethrows what
  // `write` threw, or why the commit failed if it had changes there.
  void run(const std::function<bool()>& write);

  // Writes waiting for the group in progress to end.
  size_t waiting();

 private:
  struct Pending {
    explicit Pending(const std::function<bool()>& body) : write(&body) {}
    const std::function<bool()>* write;
    bool has_run = false;
    bool is_kept = false;
    bool is_done = false;
    std::exception_ptr error;
  };
  void commit(const std::vector<Pending*>& group);

  sqlite3* db_;
  std::mutex& connection_mutex_;
  std::mutex mutex_;
  std::condition_variable finished_;
  std::vector<Pending*> queue_;
  bool is_committing_ = false;
};

}  // namespace streamrelay::store
