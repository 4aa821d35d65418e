#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace streamrelay::store {

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};

// A query's rows, read as text (`is_null` for NULLs).
class PgRows {
 public:
  explicit PgRows(PGresult* result) : result_(result) {}
  int size() const { return PQntuples(result_.get()); }
  std::string text(int row, int column) const { return PQgetvalue(result_.get(), row, column); }
  // Valid while the rows are.
  std::string_view view(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<size_t>(PQgetlength(result_.get(), row, column))};
  }
  int64_t integer(int row, int column) const {
    return std::atoll(PQgetvalue(result_.get(), row, column));
  }
  double real(int row, int column) const {
    return std::atof(PQgetvalue(result_.get(), row, column));
  }
  bool boolean(int row, int column) const { return text(row, column) == "t"; }
  bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  int64_t affected() const { return std::atoll(PQcmdTuples(result_.get())); }

 private:
  std::unique_ptr<PGresult, PgResultDeleter> result_;
};

using PgParams = std::vector<std::optional<std::string>>;

// One libpq connection; every call throws StoreError when the database fails.
class PgConnection {
 public:
  explicit PgConnection(const std::string& conninfo);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PgRows exec(std::string_view sql, const PgParams& params = {});
  // The same, prepared once per connection and run by name after: for frequent queries, whose
  // planning would otherwise cost more than running them.
  PgRows exec_prepared(const std::string& sql, const PgParams& params);
  // Several statements without parameters (a migration).
  void exec_script(const std::string& sql);
  // Reconnects when the connection was lost (the server restarted).
  void ensure_open();

 private:
  // The result of a statement that succeeded; throws StoreError (and frees it) otherwise.
  static PGresult* checked(PGresult* result);

  std::string conninfo_;
  PGconn* connection_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // statement names by SQL
};

// BEGIN ... COMMIT, rolled back when left without commit().
class PgTransaction {
 public:
  explicit PgTransaction(PgConnection& connection) : connection_(connection) {
    connection_.exec("BEGIN");
  }
  ~PgTransaction();
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  void commit();

 private:
  PgConnection& connection_;
  bool is_open_ = true;
};

}  // namespace streamrelay::store
