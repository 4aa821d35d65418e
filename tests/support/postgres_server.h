#pragma once

#include <string>
#include <vector>

#include "support/process.h"

namespace streamrelay::test_support {

// A throwaway PostgreSQL: a cluster made by initdb in `folder`, served on a free loopback port
// while this object lives. Run as the `postgres` user when the tests run as root (the server
// refuses root).
class PostgresServer {
 public:
  explicit PostgresServer(std::string folder);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // Shuts the server down (clients see the database gone).
  void stop();
  // A libpq connection string for `database`.
  std::string conninfo(const std::string& database = "postgres") const;
  // Creates an empty database and returns its connection string.
  std::string create_database(const std::string& name);
  // Runs one SQL statement on the `postgres` database; the first column of the first row.
  std::string query(const std::string& sql, const std::string& database = "postgres");
  // Every row of a query, as text.
  std::vector<std::vector<std::string>> rows(const std::string& sql,
                                             const std::string& database = "postgres");

 private:
  std::string folder_;
  int port_;
  Process process_;
};

}  // namespace streamrelay::test_support
