#include "store/sqlite/sqlite_handle.h"

namespace streamrelay::store {
namespace {

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw StoreError(std::string(what) + ": " + sqlite3_errmsg(db));
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    fail(db, "prepare");
  }
  stmt_.reset(raw);
}

Statement& Statement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    fail(db_, "bind");
  }
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_.get(), index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_.get(), index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "step");
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string Statement::text(int column) const {
  return std::string(view(column));
}

std::string_view Statement::view(int column) const {
  const unsigned char* value = sqlite3_column_text(stmt_.get(), column);
  if (value == nullptr) return "";
  return {reinterpret_cast<const char*>(value),
          static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column))};
}

int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

double Statement::real(int column) const {
  return sqlite3_column_double(stmt_.get(), column);
}

Statement& StatementCache::prepared(const std::string& sql) {
  auto found = statements_.find(sql);
  if (found != statements_.end()) {
    found->second->reset();
    return *found->second;
  }
  // Kept only once prepared: a statement that fails to prepare leaves nothing behind.
  auto statement = std::make_unique<Statement>(db_, sql);
  return *statements_.emplace(sql, std::move(statement)).first->second;
}

void StatementCache::reset_all() {
  for (auto& [sql, statement] : statements_) statement->reset();
}

void exec(sqlite3* db, std::string_view sql) {
  char* message = nullptr;
  std::string copy(sql);
  if (sqlite3_exec(db, copy.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    throw StoreError("exec: " + text);
  }
}

Transaction::Transaction(sqlite3* db) : db_(db) {
  exec(db_, "BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (is_open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  exec(db_, "COMMIT");
  is_open_ = false;
}

}  // namespace streamrelay::store
