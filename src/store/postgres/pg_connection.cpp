#include "store/postgres/pg_connection.h"

#include "net/egress_policy.h"
#include "store/store_error.h"

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
    PQfinish(connection_);  // reconnect afresh, so the session settings below apply again
    connection_ = nullptr;
    prepared_.clear();  // they went with the session
  }
  // Defaults first, so the user's connection string overrides them: a database that stops
  // answering fails a call within seconds instead of blocking the node.
  const char* keys[] = {"connect_timeout",
                        "tcp_user_timeout",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "dbname",
                        nullptr};
  const char* values[] = {"3", "3000", "5", "2", "2", conninfo_.c_str(), nullptr};
  {
    // A reconnect, or a reading connection opened later, reaches the database the operator named
    // whatever the egress policy says of the addresses users may name.
    net::OwnConnectionScope own;
    connection_ = PQconnectdbParams(keys, values, 1);
  }
  if (PQstatus(connection_) != CONNECTION_OK) {
    std::string error = PQerrorMessage(connection_);
    PQfinish(connection_);
    connection_ = nullptr;
    throw StoreError("postgres connect: " + error);
  }
  // Server notices ("already exists, skipping") are not errors; they are not printed.
  PQsetNoticeProcessor(
      connection_, [](void*, const char*) {}, nullptr);
  // A statement that hangs (a lock, a network stall) fails instead of freezing the node: the
  // supervisor then gives its leases up before they could run out.
  PQclear(PQexec(connection_, "SET statement_timeout = 3000"));
}

PGresult* PgConnection::checked(PGresult* result) {
  ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string error = PQresultErrorMessage(result);
    PQclear(result);
    throw StoreError("postgres: " + error);
  }
  return result;
}

namespace {

std::vector<const char*> values_of(const PgParams& params) {
  std::vector<const char*> values;
  for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
  return values;
}

}  // namespace

PgRows PgConnection::exec(std::string_view sql, const PgParams& params) {
  ensure_open();
  std::vector<const char*> values = values_of(params);
  std::string text(sql);
  return PgRows(checked(PQexecParams(connection_, text.c_str(), static_cast<int>(values.size()),
                                     nullptr, values.data(), nullptr, nullptr, 0)));
}

PgRows PgConnection::exec_prepared(const std::string& sql, const PgParams& params) {
  ensure_open();
  auto found = prepared_.find(sql);
  if (found == prepared_.end()) {
    std::string name = "streamrelay_" + std::to_string(prepared_.size() + 1);
    PQclear(checked(PQprepare(connection_, name.c_str(), sql.c_str(),
                              static_cast<int>(params.size()), nullptr)));
    found = prepared_.emplace(sql, name).first;
  }
  std::vector<const char*> values = values_of(params);
  return PgRows(
      checked(PQexecPrepared(connection_, found->second.c_str(), static_cast<int>(values.size()),
                             values.data(), nullptr, nullptr, 0)));
}

void PgConnection::exec_script(const std::string& sql) {
  ensure_open();
  PQclear(checked(PQexec(connection_, sql.c_str())));
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
