#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace streamrelay::store {

// Connections lent to one reader at a time: an idle one if there is one, else a new one while
// fewer than `max` are open, else the next one given back.
template <typename Connection>
class ConnectionPool {
 public:
  using Opener = std::function<std::unique_ptr<Connection>()>;

  ConnectionPool(size_t max, Opener open) : max_(max), open_(std::move(open)) {}

  // A connection until it is destroyed; one that failed stays with its borrower and is closed.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    ~Lease() { pool_.give_back(std::move(connection_), is_broken_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }
    // Closes it instead of giving it back (its state is unknown after a failure).
    void mark_broken() { is_broken_ = true; }

   private:
    ConnectionPool& pool_;
    std::unique_ptr<Connection> connection_;
    bool is_broken_ = false;
  };

  // Opens every connection now: the process then holds the same descriptors from its start on.
  void open_all() {
    std::lock_guard lock(mutex_);
    for (; open_count_ < max_; ++open_count_) idle_.push_back(open_());
  }

  Lease borrow() {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [this] { return !idle_.empty() || open_count_ < max_; });
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
    ++open_count_;
    lock.unlock();
    try {
      return Lease(*this, open_());
    } catch (...) {
      give_back(nullptr, true);
      throw;
    }
  }

 private:
  void give_back(std::unique_ptr<Connection> connection, bool is_broken) {
    std::lock_guard lock(mutex_);
    if (connection && !is_broken) {
      idle_.push_back(std::move(connection));
    } else {
      --open_count_;
    }
    returned_.notify_one();
  }

  size_t max_;
  Opener open_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t open_count_ = 0;
};

}  // namespace streamrelay::store
