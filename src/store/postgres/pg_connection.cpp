#include "store/postgres/pg_connection.h"

#include "store/sqlite/sqlite_handle.h"

namespace streamrelay::store {

PgConnection::PgConnection(const std::string& conninfo) : conninfo_(conninfo) {
  ensure_open();
}

PgConnection::~PgConnection() {
  if (connection_) PQfinish(connection_);
}

void PgConnection::ensure_open() {
  if (connection_ && PQstatus(connection_) == CONNECTION_OK) return;
  if (connection_) {
    PQreset(connection_);
    if (PQstatus(connection_) == CONNECTION_OK) return;
    PQfinish(connection_);
  }
  connection_ = PQconnectdb(conninfo_.c_str());
  if (PQstatus(connection_) != CONNECTION_OK) {
    std::string error = PQerrorMessage(connection_);
    throw StoreError("postgres connect: " + error);
  }
  // Server notices ("already exists, skipping") are not errors; they are not printed.
  PQsetNoticeProcessor(
      connection_, [](void*, const char*) {}, nullptr);
}

PgRows PgConnection::exec(std::string_view sql, const PgParams& params) {
  ensure_open();
  std::vector<const char*> values;
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  std::string text(sql);
  PGresult* result = PQexecParams(connection_, text.c_str(), static_cast<int>(values.size()),
                                  nullptr, values.data(), nullptr, nullptr, 0);
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string error = PQresultErrorMessage(result);
    PQclear(result);
    throw StoreError("postgres: " + error);
  }
  return PgRows(result);
}

void PgConnection::exec_script(const std::string& sql) {
  ensure_open();
  PGresult* result = PQexec(connection_, sql.c_str());
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string error = PQresultErrorMessage(result);
    PQclear(result);
    throw StoreError("postgres: " + error);
  }
  PQclear(result);
}

PgTransaction::~PgTransaction() {
  if (!is_open_) return;
  try {
    connection_.exec("ROLLBACK");
  } catch (const StoreError&) {
    // the connection is gone; the server rolls the transaction back itself
  }
}

void PgTransaction::commit() {
  connection_.exec("COMMIT");
  is_open_ = false;
}

}  // namespace streamrelay::store
