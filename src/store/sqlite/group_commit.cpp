#include "store/sqlite/group_commit.h"

#include "store/sqlite/sqlite_handle.h"

namespace streamrelay::store {

void GroupCommit::run(const std::function<bool()>& write) {
  Pending mine(write);
  std::unique_lock lock(mutex_);
  queue_.push_back(&mine);
  finished_.wait(lock, [&] { return mine.is_done || !is_committing_; });
  if (!mine.is_done) {
    // This caller leads the next group: every write queued by now, its own among them.
    std::vector<Pending*> group;
    group.swap(queue_);
    is_committing_ = true;
    lock.unlock();
    commit(group);
    lock.lock();
    for (Pending* pending : group) pending->is_done = true;
    is_committing_ = false;
    finished_.notify_all();
  }
  if (mine.error) std::rethrow_exception(mine.error);
}

size_t GroupCommit::waiting() {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void GroupCommit::commit(const std::vector<Pending*>& group) {
  std::lock_guard connection(connection_mutex_);
  try {
    Transaction tx(db_);
    for (Pending* pending : group) {
      exec(db_, "SAVEPOINT one_write");
      pending->has_run = true;
      try {
        pending->is_kept = (*pending->write)();
      } catch (...) {
        pending->error = std::current_exception();
      }
      exec(db_,
           pending->is_kept ? "RELEASE one_write" : "ROLLBACK TO one_write; RELEASE one_write");
    }
    tx.commit();
  } catch (...) {
    // Nothing of the group was kept: a write that had changes, or never ran, learns why.
    for (Pending* pending : group) {
      bool is_lost = pending->is_kept || !pending->has_run;
      if (is_lost && !pending->error) pending->error = std::current_exception();
    }
  }
}

}  // namespace streamrelay::store
