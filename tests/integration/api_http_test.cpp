// The HTTP side of the API with a real client over a real socket.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include "support/postgres_server.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using nlohmann::json;

namespace {

class ApiHttpTest : public ::testing::Test {
 protected:
  TempDir dir;
  RelayServer server{dir.file("relay")};
  HttpClient client;

  json task() { return live_task("rtmp://127.0.0.1:1/live/a", "rtmp://127.0.0.1:1/live/b"); }
};

// Opens a raw connection for tests that misbehave on purpose.
int connect_to(int port) {
  return connect_to_loopback(port);
}

std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) out.append(buffer, static_cast<size_t>(n));
  return out;
}

}  // namespace

TEST_F(ApiHttpTest, CreateListModifyDeleteOverOneKeptAliveConnection) {
  HttpReply created = client.request("POST", server.tasks_url(), task().dump());
  ASSERT_EQ(created.status, 200) << created.body;
  std::string id = created.json()["task_id"];
  EXPECT_EQ(created.headers["x-request-id"], created.json()["request_id"]);
  EXPECT_EQ(created.headers["content-type"], "application/json");
  HttpReply listed = client.request("GET", server.tasks_url() + "?task_id=" + id);
  EXPECT_EQ(listed.json()["total"], 1);
  HttpReply modified =
      client.request("PUT", server.tasks_url(), json{{"task_id", id}, {"status", "pause"}}.dump());
  EXPECT_EQ(modified.status, 200) << modified.body;
  HttpReply deleted = client.request("DELETE", server.tasks_url() + "?task_id=" + id);
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(ApiHttpTest, TheClientsRequestIdIsEchoed) {
  HttpReply reply = client.request("GET", server.tasks_url(), "", {{"X-Request-Id", "trace-42"}});
  EXPECT_EQ(reply.headers["x-request-id"], "trace-42");
  EXPECT_EQ(reply.json()["request_id"], "trace-42");
}

TEST_F(ApiHttpTest, ABodyOverTheLimitIsA413WithTheErrorBody) {
  json big = task();
  big["padding"] = std::string(70 * 1024, 'x');
  HttpReply reply = client.request("POST", server.tasks_url(), big.dump());
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(reply.json()["error_code"], "LIVE.100011001");
  EXPECT_FALSE(reply.json()["request_id"].get<std::string>().empty());
}

TEST_F(ApiHttpTest, UnknownPathsAndMethodsAreAnsweredWithTheErrorBody) {
  HttpReply missing = client.request("GET", server.base_url() + "/v2/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json()["error_code"], "APIG.0101");
  HttpReply method = client.request("PATCH", server.tasks_url(), "{}");
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(method.json()["error_code"], "LIVE.100011011");
  EXPECT_EQ(method.headers["allow"], "GET, POST, PUT, DELETE");
  EXPECT_FALSE(method.json()["error_msg"].get<std::string>().empty());
  HttpReply no_task = client.request("GET", server.tasks_url() + "?task_id=nope");
  EXPECT_EQ(no_task.status, 404);
  EXPECT_EQ(no_task.json()["error_code"], "LIVE.103011019");
}

TEST_F(ApiHttpTest, ABodyThatIsNotJsonIsA415AndAForeignProjectHeaderA401) {
  HttpReply text =
      client.request("POST", server.tasks_url(), task().dump(), {{"Content-Type", "text/plain"}});
  EXPECT_EQ(text.status, 415);
  EXPECT_EQ(text.json()["error_code"], "LIVE.100011012");
  HttpReply foreign = client.request("GET", server.tasks_url(), "", {{"X-Project-Id", "other"}});
  EXPECT_EQ(foreign.status, 401);
  EXPECT_EQ(foreign.json()["error_code"], "LIVE.100011015");
  EXPECT_NE(foreign.json()["error_msg"].get<std::string>().find("X-Project-Id"), std::string::npos);
}

TEST_F(ApiHttpTest, MalformedJsonIsA400NamingTheProblem) {
  HttpReply reply = client.request("POST", server.tasks_url(), "{\"source_type\": ");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.json()["error_code"], "LIVE.100011001");
  EXPECT_NE(reply.json()["error_msg"].get<std::string>().find("JSON"), std::string::npos);
}

TEST_F(ApiHttpTest, GarbageInsteadOfHttpGetsA400AndTheServerCarriesOn) {
  int fd = connect_to(server.port());
  std::string garbage = "\x16\x03\x01 this is not http\r\n\r\n";
  send(fd, garbage.data(), garbage.size(), 0);
  std::string answer = read_all(fd);
  close(fd);
  EXPECT_NE(answer.find("400"), std::string::npos) << answer;
  EXPECT_EQ(client.request("GET", server.tasks_url()).status, 200);
}

TEST_F(ApiHttpTest, ExpectContinueIsHonoured) {
  int fd = connect_to(server.port());
  std::string body = task().dump();
  std::string head =
      "POST /v1/p1/pull/stream/task HTTP/1.1\r\nHost: x\r\nContent-Type: "
      "application/json\r\nExpect: 100-continue\r\nConnection: close\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  send(fd, head.data(), head.size(), 0);
  char buffer[256] = {};
  timeval timeout{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ssize_t n = recv(fd, buffer, sizeof buffer - 1, 0);
  ASSERT_GT(n, 0);
  EXPECT_NE(std::string(buffer).find("100 Continue"), std::string::npos);
  send(fd, body.data(), body.size(), 0);
  std::string answer = read_all(fd);
  close(fd);
  EXPECT_NE(answer.find("200 OK"), std::string::npos) << answer;
}

TEST_F(ApiHttpTest, TasksSurviveARestart) {
  std::string id = server.create_task(task());
  server.kill9();
  server.start();
  EXPECT_EQ(server.task_info(id).value("task_id", ""), id);
}

// A create waits for the database when another process holds its write lock (a backup copy, an
// operator's sqlite3 shell): it waits on a thread of its own, and the one HTTP thread goes on
// answering reads meanwhile.
TEST(ApiThreads, AWriteWaitingForTheDatabaseDoesNotHoldUpReads) {
  TempDir dir;
  RelayServer server(dir.file("relay"), {"--io-threads", "1"});
  sqlite3* locker = nullptr;
  ASSERT_EQ(sqlite3_open((dir.file("relay") + "/data/streamrelay.db").c_str(), &locker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(locker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto create = std::async(std::launch::async, [&server] {
    HttpClient writer;
    return writer.request(
        "POST", server.tasks_url(),
        live_task("rtmp://127.0.0.1:1/live/a", "rtmp://127.0.0.1:1/live/b").dump());
  });
  // The store waits up to 5 s for a lock: the create is still waiting a second from now.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  bool was_create_waiting = create.wait_for(std::chrono::seconds(0)) == std::future_status::timeout;
  HttpClient reader;
  HttpReply listed = reader.request("GET", server.tasks_url(), "", {}, std::chrono::seconds(2));
  sqlite3_exec(locker, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(locker);
  HttpReply created = create.get();
  EXPECT_TRUE(was_create_waiting);
  EXPECT_EQ(listed.status, 200) << "the list waited for the create";
  EXPECT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(reader.request("GET", server.tasks_url()).json()["total"], 1);
}

// With PostgreSQL a read waits on the network (here: on a table another session has locked): it
// waits on a thread of its own, and the one HTTP thread goes on answering meanwhile.
TEST(ApiThreads, AReadWaitingForPostgresDoesNotHoldUpOtherRequests) {
  TempDir dir;
  PostgresServer postgres(dir.file("postgres"));
  std::string conninfo = postgres.create_database("relay");
  RelayServer server(dir.file("relay"), {"--io-threads", "1", "--database", conninfo});
  std::unique_ptr<PGconn, decltype(&PQfinish)> locker(PQconnectdb(conninfo.c_str()), &PQfinish);
  ASSERT_EQ(PQstatus(locker.get()), CONNECTION_OK) << PQerrorMessage(locker.get());
  auto exec = [&locker](const char* sql) {
    PGresult* result = PQexec(locker.get(), sql);
    bool is_ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    return is_ok;
  };
  ASSERT_TRUE(exec("BEGIN"));
  ASSERT_TRUE(exec("LOCK TABLE task_counts IN ACCESS EXCLUSIVE MODE"));  // a page reads it first
  auto list = std::async(std::launch::async, [&server] {
    HttpClient lister;
    return lister.request("GET", server.tasks_url(), "", {}, std::chrono::seconds(10));
  });
  // The store gives a statement 3 s: the list is still waiting a second from now.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  bool was_list_waiting = list.wait_for(std::chrono::seconds(0)) == std::future_status::timeout;
  HttpClient prober;
  HttpReply health =
      prober.request("GET", server.base_url() + "/healthz", "", {}, std::chrono::seconds(1));
  exec("ROLLBACK");
  HttpReply listed = list.get();
  EXPECT_TRUE(was_list_waiting);
  EXPECT_EQ(health.status, 200) << "the probe waited for the list";
  EXPECT_EQ(listed.status, 200) << listed.body;
}

TEST(ApiConfig, SettingsComeFromTheConfigFileAndSlowClientsAreCutOff) {
  TempDir dir;
  std::string config = dir.file("streamrelay.toml");
  {
    std::ofstream file(config);
    // A flag too: a setting without a value on the command line ("= true" in the file).
    file << "region = \"from-config\"\nhttp-read-timeout-s = 2\nallow-private-egress = true\n";
  }
  RelayServer server(dir.file("relay"), {"--config", config});
  EXPECT_NE(server.log().find("event=egress_open loopback=true private=true"), std::string::npos);
  std::string id =
      server.create_task(live_task("rtmp://127.0.0.1:1/live/a", "rtmp://127.0.0.1:1/live/b"));
  EXPECT_EQ(server.task_info(id)["region"], "from-config");

  int fd = connect_to(server.port());
  std::string partial = "GET /v1/p1/pull/stream/task HTTP/1.1\r\nHost: x\r\n";
  send(fd, partial.data(), partial.size(), 0);
  auto started = std::chrono::steady_clock::now();
  std::string answer = read_all(fd);  // returns when the server closes the connection
  close(fd);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(answer.find("200 OK"), std::string::npos);
}
