// The OpenAPI document served at /openapi.json (kept in console/openapi.json): a validator from
// the npm registry (swagger-parser, Ajv) checks it is valid OpenAPI 3.1, that every route the
// server answers on is in it and every operation in it is answered, and that every answer below
// (successes and each kind of error) matches its schema.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/http_client.h"
#include "support/npm_packages.h"
#include "support/process.h"
#include "support/relay_fixture.h"
#include "support/relay_server.h"
#include "support/temp_dir.h"

using namespace streamrelay::test_support;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

// The validator, pinned, installed once into the build tree; "" when npm failed (`log` says why).
std::string install_validator(std::string& log) {
  return install_npm_packages(
      "openapi-tools", {"@apidevtools/swagger-parser@10.1.0", "ajv@8.12.0", "ajv-formats@2.1.1"},
      log);
}

class Answers {
 public:
  Answers(std::string base) : base_(std::move(base)) {}
  // Sends a request and keeps its answer under the document's path template.
  HttpReply send(const std::string& method, const std::string& path, const std::string& target,
                 const std::string& body = "", std::map<std::string, std::string> headers = {}) {
    if (!body.empty() && !headers.count("Content-Type"))
      headers["Content-Type"] = "application/json";
    HttpReply reply = client_.request(method, base_ + target, body, headers);
    answers_.push_back({{"method", method},
                        {"path", path},
                        {"status", reply.status},
                        {"type", reply.headers["content-type"]},
                        {"body", reply.body}});
    return reply;
  }
  const json& all() const { return answers_; }

 private:
  std::string base_;
  HttpClient client_;
  json answers_ = json::array();
};

}  // namespace

TEST(OpenApi, TheDocumentIsValidAndEveryAnswerOfEveryRouteMatchesIt) {
  std::string log;
  std::string validator = install_validator(log);
  ASSERT_FALSE(validator.empty()) << "npm install failed: " << log;
  TempDir dir;
  std::ofstream(dir.file("credentials.json"))
      << R"({"tokens": [{"token": "t1", "projects": ["p1"]}, {"token": "t2", "projects": ["p2"]}]})";
  RelayServer server(dir.file("relay"), {"--credentials", dir.file("credentials.json")});
  Answers answers(server.base_url());
  const std::string tasks = "/v1/{project_id}/pull/stream/task";
  const std::string events = tasks + "/events";
  std::map<std::string, std::string> auth = {{"X-Auth-Token", "t1"}};
  json live = live_task("rtmp://127.0.0.1:1/live/src", "rtmp://127.0.0.1:1/live/out");
  json vod = {{"source_type", "PullVodPushLive"},
              {"source_urls", {"http://127.0.0.1:1/a.mp4", "http://127.0.0.1:1/b.mp4"}},
              {"destination_url", "rtmp://127.0.0.1:1/live/vod"},
              {"vod_loop_time", "2"},
              {"callback_url", "127.0.0.1:1/hook"}};

  HttpReply created = answers.send("POST", tasks, "/v1/p1/pull/stream/task", live.dump(), auth);
  ASSERT_EQ(created.status, 200) << created.body;
  std::string id = created.json()["task_id"];
  EXPECT_EQ(answers.send("POST", tasks, "/v1/p1/pull/stream/task", vod.dump(), auth).status, 200);
  EXPECT_EQ(answers.send("POST", tasks, "/v1/p1/pull/stream/task", live.dump(), auth).status, 409);
  EXPECT_EQ(
      answers.send("POST", tasks, "/v1/p1/pull/stream/task", R"({"source_urls": 1})", auth).status,
      400);
  EXPECT_EQ(answers.send("POST", tasks, "/v1/p1/pull/stream/task", "{not json", auth).status, 400);
  EXPECT_EQ(answers
                .send("POST", tasks, "/v1/p1/pull/stream/task", "x",
                      {{"X-Auth-Token", "t1"}, {"Content-Type", "text/plain"}})
                .status,
            415);
  EXPECT_EQ(answers.send("POST", tasks, "/v1/p1/pull/stream/task", live.dump()).status, 401);
  EXPECT_EQ(answers.send("POST", tasks, "/v1/p2/pull/stream/task", live.dump(), auth).status, 403);
  EXPECT_EQ(answers
                .send("POST", tasks, "/v1/p1/pull/stream/task", live.dump(),
                      {{"X-Auth-Token", "t1"}, {"X-Project-Id", "p2"}})
                .status,
            401);
  EXPECT_EQ(
      answers.send("POST", tasks, "/v1/p1/pull/stream/task", std::string(70000, ' '), auth).status,
      413);
  // A runtime with an error in it: the source of the live task does not answer.
  HttpClient poller;
  ASSERT_TRUE(eventually(
      [&] {
        HttpReply listed = poller.request(
            "GET", server.base_url() + "/v1/p1/pull/stream/task?task_id=" + id, "", auth);
        return listed.status == 200 && listed.body.find("\"abnormal\"") != std::string::npos;
      },
      20s));
  EXPECT_EQ(answers.send("GET", tasks, "/v1/p1/pull/stream/task?limit=5", "", auth).status, 200);
  EXPECT_EQ(answers.send("GET", tasks, "/v1/p1/pull/stream/task?task_id=" + id, "", auth).status,
            200);
  EXPECT_EQ(answers.send("GET", tasks, "/v1/p1/pull/stream/task?limit=0", "", auth).status, 400);
  EXPECT_EQ(answers
                .send("PUT", tasks, "/v1/p1/pull/stream/task",
                      json{{"task_id", id}, {"status", "pause"}}.dump(), auth)
                .status,
            200);
  EXPECT_EQ(
      answers
          .send(
              "PUT", tasks, "/v1/p1/pull/stream/task",
              json{{"task_id", "00000000-0000-4000-8000-000000000000"}, {"status", "pause"}}.dump(),
              auth)
          .status,
      404);
  EXPECT_EQ(
      answers.send("GET", events, "/v1/p1/pull/stream/task/events?task_id=" + id, "", auth).status,
      200);
  EXPECT_EQ(answers
                .send("GET", events,
                      "/v1/p1/pull/stream/task/events?task_id=00000000-0000-4000-8000-"
                      "000000000000",
                      "", auth)
                .status,
            404);
  EXPECT_EQ(answers.send("PATCH", tasks, "/v1/p1/pull/stream/task", "{}", auth).status, 405);
  EXPECT_EQ(answers.send("DELETE", tasks, "/v1/p1/pull/stream/task?task_id=" + id, "", auth).status,
            200);
  EXPECT_EQ(answers.send("DELETE", tasks, "/v1/p1/pull/stream/task?task_id=" + id, "", auth).status,
            404);
  for (const char* path : {"/healthz", "/readyz", "/metrics", "/openapi.json"}) {
    EXPECT_EQ(answers.send("GET", path, path).status, 200) << path;
  }
  // What the server serves is the document kept in the repository.
  HttpClient client;
  bool is_kept_document =
      json::parse(client.request("GET", server.base_url() + "/openapi.json").body) ==
      json::parse(read_file(STREAMRELAY_SOURCE_DIR "/console/openapi.json"));
  EXPECT_TRUE(is_kept_document) << "the served document is not console/openapi.json";

  std::ofstream(dir.file("answers.json")) << answers.all().dump();
  Process check({"node", STREAMRELAY_SOURCE_DIR "/tests/support/openapi/check.js", validator,
                 STREAMRELAY_SOURCE_DIR "/console/openapi.json", dir.file("answers.json")},
                dir.file("check.log"));
  EXPECT_EQ(check.wait(60s), 0) << read_file(dir.file("check.log"));
}
