#include "support/postgres_server.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

namespace streamrelay::test_support {
namespace {

// Debian keeps the server programs out of PATH, one folder per major version.
std::string server_bin_dir() {
  std::vector<std::filesystem::path> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
    if (std::filesystem::exists(entry.path() / "bin" / "postgres")) found.push_back(entry.path());
  }
  if (found.empty()) throw std::runtime_error("PostgreSQL server not installed");
  std::sort(found.begin(), found.end());
  return (found.back() / "bin").string();
}

// The command line prefix that runs a program as the postgres user when we are root.
std::vector<std::string> as_server_user() {
  if (geteuid() != 0) return {};
  // --pdeathsig: the server shuts down even if the test process dies without cleaning up.
  return {"setpriv",       "--reuid=postgres", "--regid=postgres",
          "--init-groups", "--pdeathsig=INT",  "--"};
}

void give_to_server_user(const std::filesystem::path& path) {
  if (geteuid() != 0) return;
  struct passwd* user = getpwnam("postgres");
  if (!user) throw std::runtime_error("no postgres user");
  if (chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) {
    throw std::runtime_error("chown " + path.string() + " failed");
  }
}

struct ConnectionCloser {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};

}  // namespace

PostgresServer::PostgresServer(std::string folder)
    : folder_(std::move(folder)), port_(free_port()) {
  std::filesystem::path base(folder_);
  std::filesystem::path data = base / "pgdata";
  std::filesystem::path socket_dir = base / "pgsocket";
  std::filesystem::create_directories(data);
  std::filesystem::create_directories(socket_dir);
  // The server user must reach its folders inside temp dirs made private to us.
  std::filesystem::path temp_root = std::filesystem::temp_directory_path();
  for (auto folder = std::filesystem::absolute(base);
       folder != temp_root && folder.has_relative_path() && folder != folder.parent_path();
       folder = folder.parent_path()) {
    std::filesystem::permissions(
        folder, std::filesystem::perms::group_exec | std::filesystem::perms::others_exec,
        std::filesystem::perm_options::add);
  }
  give_to_server_user(data);
  give_to_server_user(socket_dir);
  std::string bin = server_bin_dir();
  std::vector<std::string> initdb = as_server_user();
  for (const std::string& arg :
       {bin + "/initdb", std::string("-D"), data.string(), std::string("-U"),
        std::string("postgres"), std::string("-A"), std::string("trust"), std::string("-E"),
        std::string("UTF8"), std::string("--locale=C"), std::string("--no-sync")}) {
    initdb.push_back(arg);
  }
  Process init(initdb, (base / "initdb.log").string());
  if (init.wait(std::chrono::seconds(60)) != 0) {
    throw std::runtime_error("initdb failed: " + read_file((base / "initdb.log").string()));
  }
  std::vector<std::string> server = as_server_user();
  for (const std::string& arg :
       {bin + "/postgres", std::string("-D"), data.string(), std::string("-p"),
        std::to_string(port_), std::string("-k"), socket_dir.string(), std::string("-c"),
        std::string("listen_addresses=127.0.0.1"), std::string("-c"), std::string("fsync=off"),
        std::string("-c"), std::string("synchronous_commit=off"), std::string("-c"),
        std::string("full_page_writes=off"), std::string("-c"),
        std::string("max_connections=200")}) {
    server.push_back(arg);
  }
  process_ = Process(server, (base / "postgres.log").string());
  bool is_ready = eventually([this] { return PQping(conninfo().c_str()) == PQPING_OK; },
                             std::chrono::seconds(30));
  if (!is_ready) {
    throw std::runtime_error("postgres did not start: " +
                             read_file((base / "postgres.log").string()));
  }
}

PostgresServer::~PostgresServer() {
  stop();
}

void PostgresServer::stop() {
  // SIGINT: the fast shutdown (clients are disconnected, no checkpoint wait).
  process_.stop(SIGINT, std::chrono::seconds(10));
}

std::string PostgresServer::conninfo(const std::string& database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + database +
         " connect_timeout=5";
}

std::vector<std::vector<std::string>> PostgresServer::rows(const std::string& sql,
                                                           const std::string& database) {
  std::unique_ptr<PGconn, ConnectionCloser> connection(PQconnectdb(conninfo(database).c_str()));
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("connect: ") + PQerrorMessage(connection.get()));
  }
  PGresult* result = PQexec(connection.get(), sql.c_str());
  ExecStatusType status = PQresultStatus(result);
  std::vector<std::vector<std::string>> out;
  for (int row = 0; status == PGRES_TUPLES_OK && row < PQntuples(result); ++row) {
    std::vector<std::string> values;
    for (int column = 0; column < PQnfields(result); ++column) {
      values.emplace_back(PQgetvalue(result, row, column));
    }
    out.push_back(std::move(values));
  }
  std::string error = PQresultErrorMessage(result);
  PQclear(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error("query " + sql + ": " + error);
  }
  return out;
}

std::string PostgresServer::query(const std::string& sql, const std::string& database) {
  auto result = rows(sql, database);
  return result.empty() || result[0].empty() ? "" : result[0][0];
}

std::string PostgresServer::create_database(const std::string& name) {
  query("CREATE DATABASE " + name);
  return conninfo(name);
}

}  // namespace streamrelay::test_support
