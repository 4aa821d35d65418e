#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/store_error.h"

namespace streamrelay::store {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqlitePtr = std::unique_ptr<sqlite3, SqliteCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

// One prepared statement: bind by position (from 1), step, read columns (from 0).
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);

  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, double value);

  // True while a row is available; false when done.
  bool step();
  void run() { step(); }
  // Makes the statement ready to be bound and run again.
  void reset();

  std::string text(int column) const;
  // Valid until the next step or reset.
  std::string_view view(int column) const;
  int64_t integer(int column) const;
  double real(int column) const;

 private:
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, StatementFinalizer> stmt_;
};

void exec(sqlite3* db, std::string_view sql);

// Prepared statements kept for reuse by their SQL, handed out reset with bindings cleared: for
// the frequent queries of one connection.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  Statement& prepared(const std::string& sql);
  // Ends whatever step any of them is in.
  void reset_all();

 private:
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when destroyed before commit().
class Transaction {
 public:
  explicit Transaction(sqlite3* db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  sqlite3* db_;
  bool is_open_ = true;
};

}  // namespace streamrelay::store
