// The API contract, rule by rule, through the router (real task service, real SQLite file).
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "api/auth/credentials.h"
#include "api/auth/sdk_signature.h"
#include "api/router.h"
#include "store/sqlite/sqlite_store.h"
#include "support/fake_clock.h"
#include "support/temp_dir.h"
#include "task/time_format.h"

using namespace streamrelay;
using nlohmann::json;

namespace {

using test_support::FakeClock;

struct Reply {
  int status;
  json body;
  api::HttpResponse raw;
};

class RouterTest : public ::testing::Test {
 protected:
  test_support::TempDir dir;
  store::SqliteStore store{dir.file("db")};
  FakeClock clock;
  app::TaskServiceSettings settings{"local", {}, {{"/srv/media"}, nullptr}, {false, true}};
  app::TaskService service{store, clock, settings};
  api::OpenAuthenticator open;
  api::Router router{service, open};

  Reply call(const std::string& method, const std::string& target, const std::string& body = "",
             std::map<std::string, std::string> headers = {}) {
    api::HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.headers = std::move(headers);
    if (!body.empty() && !request.headers.count("content-type")) {
      request.headers["content-type"] = "application/json";
    }
    api::HttpResponse response = router.handle(request);
    return {response.status, json::parse(response.body, nullptr, false), response};
  }

  Reply create(const json& body, const std::string& project = "p1") {
    return call("POST", "/v1/" + project + "/pull/stream/task", body.dump());
  }
  Reply modify(const json& body, const std::string& project = "p1") {
    return call("PUT", "/v1/" + project + "/pull/stream/task", body.dump());
  }
  Reply list(const std::string& query = "", const std::string& project = "p1") {
    return call("GET", "/v1/" + project + "/pull/stream/task" + (query.empty() ? "" : "?" + query));
  }
  Reply remove(const std::string& query, const std::string& project = "p1") {
    return call("DELETE", "/v1/" + project + "/pull/stream/task?" + query);
  }

  static json live() {
    return {{"source_type", "PullLivePushLive"},
            {"source_urls", {"rtmp://play.example.com/live/s1"}},
            {"domain", "publish.example.com"},
            {"app_name", "live"},
            {"stream_name", "test"}};
  }
  static json vod() {
    return {{"source_type", "PullVodPushLive"},
            {"source_urls", {"http://media.example.com/a.mp4", "http://media.example.com/b.mp4"}},
            {"destination_url", "rtmp://publish.example.com/live/vod"}};
  }

  std::string created_id(const json& body) {
    Reply reply = create(body);
    EXPECT_EQ(reply.status, 200) << reply.body.dump();
    return reply.body.value("task_id", "");
  }

  json info(const std::string& task_id) { return list("task_id=" + task_id).body["task_infos"][0]; }
};

// Checks a refusal: status, error code, and an error_msg that names the field.
void expect_refused(const Reply& reply, int status, const std::string& code,
                    const std::string& field) {
  EXPECT_EQ(reply.status, status) << reply.body.dump();
  EXPECT_EQ(reply.body.value("error_code", ""), code) << reply.body.dump();
  EXPECT_NE(reply.body.value("error_msg", "").find(field), std::string::npos)
      << "error_msg should name " << field << ": " << reply.body.dump();
  EXPECT_FALSE(reply.body.value("request_id", "").empty());
}

api::HttpRequest request_of(std::string method, std::string target,
                            std::map<std::string, std::string> headers, std::string body) {
  api::HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers = std::move(headers);
  request.body = std::move(body);
  return request;
}

void expect_invalid(const Reply& reply, const std::string& field) {
  expect_refused(reply, 400, "LIVE.100011001", field);
}

json with(json body, const std::string& key, json value) {
  body[key] = std::move(value);
  return body;
}

json without(json body, const std::string& key) {
  body.erase(key);
  return body;
}

}  // namespace

TEST_F(RouterTest, TheSeedExampleRequestIsAccepted) {
  json seed = json::parse(R"({
  "region" : "cn-north-4",
  "source_type" : "PullLivePushLive",
  "source_urls" : [ "rtmp://play.example.huawei.com/live/stream1" ],
  "domain" : "publish.example.huawei.com",
  "app_name" : "live",
  "stream_name" : "test",
  "start_time" : "2018-05-19T18:00:00Z",
  "end_time" : "2018-05-19T21:00:00Z",
  "push_args" : "arg1=value1",
  "callback_events" : [ "TaskStart", "TaskExit", "TaskAlarm" ],
  "callback_url" : "callback.example.com",
  "backup_source_type" : "PullLivePushLive",
  "backup_source_urls" : [ "rtmp://play.example.huawei.com/live/stream1_bak" ]
})");
  Reply reply = create(seed);
  ASSERT_EQ(reply.status, 200) << reply.body.dump();
  EXPECT_EQ(reply.body["task_id"].get<std::string>().size(), 36u);
  EXPECT_EQ(reply.body["request_id"].get<std::string>().size(), 36u);
  json stored = info(reply.body["task_id"]);
  EXPECT_EQ(stored["region"], "cn-north-4");
  EXPECT_EQ(stored["start_time"], "2018-05-19T18:00:00Z");
  EXPECT_EQ(stored["backup_source_type"], "PullLivePushLive");
  EXPECT_EQ(stored["status"], "waiting");
  EXPECT_EQ(stored["callback_url"], "callback.example.com");
}

TEST_F(RouterTest, CreateFillsInTheDefaults) {
  json stored = info(created_id(vod()));
  EXPECT_EQ(stored["region"], "local");
  EXPECT_EQ(stored["start_time"], task::format_utc(clock.now));
  EXPECT_EQ(stored["end_time"], task::format_utc(clock.now + 7 * 24 * 3600));
  EXPECT_EQ(stored["vod_loop_time"], "-1");
  EXPECT_EQ(stored["vod_refresh_type"], "immediate_new_source");
  EXPECT_EQ(stored["vod_start_video_index"], 0);
  EXPECT_EQ(stored["vod_start_video_time"], 0);
  EXPECT_TRUE(stored.contains("runtime"));
  EXPECT_EQ(stored["create_time"], task::format_utc(clock.now));
}

TEST_F(RouterTest, ARequestIdSentByTheClientIsEchoed) {
  Reply reply = call("GET", "/v1/p1/pull/stream/task", "", {{"x-request-id", "abc-123"}});
  EXPECT_EQ(reply.body["request_id"], "abc-123");
  bool has_header = false;
  for (auto& [name, value] : reply.raw.headers)
    has_header |= name == "X-Request-Id" && value == "abc-123";
  EXPECT_TRUE(has_header);
}

TEST_F(RouterTest, ABodyThatIsNotAJsonObjectIsRefused) {
  expect_invalid(call("POST", "/v1/p1/pull/stream/task", "{not json"), "JSON");
  expect_invalid(call("POST", "/v1/p1/pull/stream/task", "[1,2]"), "JSON object");
  expect_invalid(call("POST", "/v1/p1/pull/stream/task", ""), "JSON");
}

TEST_F(RouterTest, AWrongContentTypeIsRefused) {
  expect_refused(
      call("POST", "/v1/p1/pull/stream/task", live().dump(), {{"content-type", "text/plain"}}), 415,
      "LIVE.100011012", "Content-Type");
  EXPECT_EQ(call("POST", "/v1/p1/pull/stream/task", live().dump(),
                 {{"content-type", "application/json; charset=utf-8"}})
                .status,
            200);
}

TEST_F(RouterTest, FieldsOfTheWrongJsonTypeAreRefused) {
  expect_invalid(create(with(live(), "region", 5)), "region");
  expect_invalid(create(with(live(), "source_urls", "rtmp://a/b/c")), "source_urls");
  expect_invalid(create(with(live(), "source_urls", json::array({1}))), "source_urls[0]");
  expect_invalid(create(with(vod(), "vod_start_video_index", "1")), "vod_start_video_index");
  expect_invalid(create(with(vod(), "vod_start_video_time", 1.5)), "vod_start_video_time");
  expect_invalid(create(with(vod(), "vod_loop_time", 2)), "vod_loop_time");
  expect_invalid(create(with(live(), "callback_events", "TaskStart")), "callback_events");
}

TEST_F(RouterTest, UnknownFieldsAndNullsAreIgnored) {
  EXPECT_EQ(create(with(with(live(), "whatever", 1), "region", nullptr)).status, 200);
}

TEST_F(RouterTest, RegionMustBe1To64Characters) {
  expect_invalid(create(with(live(), "region", "")), "region");
  expect_invalid(create(with(live(), "region", std::string(65, 'r'))), "region");
  EXPECT_EQ(create(with(live(), "region", std::string(64, 'r'))).status, 200);
}

TEST_F(RouterTest, ARegionNoNodeServesIsRefused) {
  app::TaskServiceSettings limited{"r1", {"r1", "r2"}, {}, {}};
  app::TaskService limited_service{store, clock, limited};
  api::Router limited_router{limited_service, open};
  api::HttpRequest request =
      request_of("POST", "/v1/p1/pull/stream/task", {}, with(live(), "region", "r9").dump());
  api::HttpResponse response = limited_router.handle(request);
  Reply reply{response.status, json::parse(response.body), response};
  expect_invalid(reply, "region");
}

TEST_F(RouterTest, SourceTypeIsRequiredAndOneOfTwo) {
  expect_invalid(create(without(live(), "source_type")), "source_type");
  expect_invalid(create(with(live(), "source_type", "PullLive")), "source_type");
}

TEST_F(RouterTest, SourceUrlsAreRequiredAndCounted) {
  expect_invalid(create(without(live(), "source_urls")), "source_urls");
  expect_invalid(create(with(live(), "source_urls", json::array())), "source_urls");
  expect_invalid(create(with(live(), "source_urls", {"rtmp://a/b/c", "rtmp://a/b/d"})),
                 "source_urls");
  expect_invalid(create(with(vod(), "source_urls", json::array())), "source_urls");
  json thirty_one = json::array();
  for (int i = 0; i < 31; ++i) thirty_one.push_back("http://m/" + std::to_string(i) + ".mp4");
  expect_invalid(create(with(vod(), "source_urls", thirty_one)), "source_urls");
  thirty_one.erase(0);
  EXPECT_EQ(create(with(vod(), "source_urls", thirty_one)).status, 200);
}

TEST_F(RouterTest, SourceUrlsFollowTheUrlRules) {
  expect_invalid(create(with(live(), "source_urls", {"ftp://a/b"})), "source_urls[0]");
  expect_invalid(create(with(live(), "source_urls", {"not a url"})), "source_urls[0]");
  expect_invalid(create(with(live(), "source_urls", {"rtmp://a/" + std::string(2048, 'x')})),
                 "source_urls[0]");
  expect_invalid(create(with(vod(), "source_urls", {"http://m/a.mp4", "file:///etc/passwd"})),
                 "source_urls[1]");
  EXPECT_EQ(create(with(vod(), "source_urls", {"file:///srv/media/a.mp4"})).status, 200);
}

TEST_F(RouterTest, DestinationFieldLengths) {
  expect_invalid(create(with(live(), "domain", std::string(256, 'd'))), "domain");
  expect_invalid(create(with(live(), "app_name", std::string(129, 'a'))), "app_name");
  expect_invalid(create(with(live(), "stream_name", std::string(513, 's'))), "stream_name");
  expect_invalid(create(with(live(), "push_args", std::string(2049, 'p'))), "push_args");
  json dest = without(without(without(live(), "domain"), "app_name"), "stream_name");
  expect_invalid(create(with(dest, "destination_url", "rtmp://h/a/" + std::string(2048, 's'))),
                 "destination_url");
}

TEST_F(RouterTest, DestinationUrlExcludesDomainAppAndStream) {
  expect_invalid(create(with(live(), "destination_url", "rtmp://h/live/x")), "destination_url");
  json dest = with(without(without(without(live(), "domain"), "app_name"), "stream_name"),
                   "destination_url", "rtmp://h/live/x");
  EXPECT_EQ(create(with(with(with(dest, "domain", ""), "app_name", ""), "stream_name", "")).status,
            200);
}

TEST_F(RouterTest, TheDestinationMustBeComplete) {
  expect_invalid(create(without(live(), "app_name")), "destination_url");
  expect_invalid(create(without(without(without(live(), "domain"), "app_name"), "stream_name")),
                 "destination_url");
  json dest = without(without(without(live(), "domain"), "app_name"), "stream_name");
  expect_invalid(create(with(dest, "destination_url", "http://h/live/x")), "destination_url");
  expect_invalid(create(with(dest, "destination_url", "rtmp://h/live")), "destination_url");
  expect_invalid(create(with(live(), "domain", "bad host/x")), "domain");
  EXPECT_EQ(create(with(live(), "domain", "127.0.0.1:1935")).status, 200);
}

TEST_F(RouterTest, TimesAreAnyRfc3339DateTimeAndAnsweredInTheZForm) {
  // What the vendor's Python SDK sends: isoformat() of naive and aware datetimes.
  struct Form {
    const char* sent;
    const char* stored;
  };
  int stream = 0;
  for (Form form : {Form{"2018-05-19T18:00:00Z", "2018-05-19T18:00:00Z"},
                    Form{"2018-05-19T18:00:00+00:00", "2018-05-19T18:00:00Z"},
                    Form{"2018-05-20T02:00:00+08:00", "2018-05-19T18:00:00Z"},
                    Form{"2018-05-19T13:30:00-04:30", "2018-05-19T18:00:00Z"},
                    Form{"2018-05-19T18:00:00.123456Z", "2018-05-19T18:00:00Z"},
                    Form{"2018-05-19T18:00:00.999+00:00", "2018-05-19T18:00:00Z"},
                    Form{"2018-05-19T18:00:00", "2018-05-19T18:00:00Z"},
                    Form{"2018-05-19t18:00:00z", "2018-05-19T18:00:00Z"}}) {
    std::string id = created_id(
        with(with(live(), "start_time", form.sent), "stream_name", "t" + std::to_string(stream++)));
    EXPECT_EQ(info(id)["start_time"], form.stored) << form.sent;
    EXPECT_EQ(info(id)["end_time"], "2018-05-26T18:00:00Z") << form.sent;
  }
  for (const char* refused :
       {"2018-05-19", "12/01/2026 09:00", "2018-05-19T18:00", "2018-13-19T18:00:00Z",
        "2018-02-30T18:00:00Z", "2018-05-19T24:00:00Z", "2018-05-19T18:61:00Z",
        "2018-05-19T18:00:00+24:00", "2018-05-19T18:00:00+0800", "2018-05-19T18:00:00.Z",
        "2018-05-19T18:00:00 UTC", "1526752800"}) {
    Reply reply = create(with(live(), "start_time", refused));
    expect_invalid(reply, "start_time");
    EXPECT_NE(reply.body.value("error_msg", "").find("2006-01-02T15:04:05Z"), std::string::npos)
        << reply.body.dump();
  }
  expect_invalid(create(with(live(), "end_time", "next week")), "end_time");
  std::string id = created_id(with(live(), "stream_name", "modified-times"));
  EXPECT_EQ(modify({{"task_id", id}, {"end_time", "2018-05-20T02:00:00+08:00"}}).status, 200);
  EXPECT_EQ(info(id)["end_time"], "2018-05-19T18:00:00Z");
}

TEST_F(RouterTest, StartMustBeBeforeEnd) {
  json body =
      with(with(live(), "start_time", "2018-05-19T18:00:00Z"), "end_time", "2018-05-19T18:00:00Z");
  expect_invalid(create(body), "start_time must be before end_time");
}

TEST_F(RouterTest, EndIsAtMostSevenDaysAfterStart) {
  json body =
      with(with(live(), "start_time", "2018-05-19T18:00:00Z"), "end_time", "2018-05-26T18:00:01Z");
  expect_invalid(create(body), "end_time must be at most 7 days after start_time");
  body["end_time"] = "2018-05-26T18:00:00Z";
  EXPECT_EQ(create(body).status, 200);
}

TEST_F(RouterTest, EndMustBeInTheFuture) {
  json body =
      with(with(live(), "start_time", "2018-05-19T10:00:00Z"), "end_time", "2018-05-19T16:59:59Z");
  expect_invalid(create(body), "end_time");
}

TEST_F(RouterTest, VodLoopTimeIsMinusOneOrAPositiveCount) {
  for (const char* bad : {"0", "-2", "abc", "2147483648", "1.5", " 1"}) {
    expect_invalid(create(with(vod(), "vod_loop_time", bad)), "vod_loop_time");
  }
  EXPECT_EQ(info(created_id(with(vod(), "vod_loop_time", "")))["vod_loop_time"], "-1");
  EXPECT_EQ(info(created_id(with(with(vod(), "vod_loop_time", "2147483647"), "destination_url",
                                 "rtmp://h/l/other")))["vod_loop_time"],
            "2147483647");
}

TEST_F(RouterTest, VodRefreshTypeIsOneOfThree) {
  expect_invalid(create(with(vod(), "vod_refresh_type", "later")), "vod_refresh_type");
  EXPECT_EQ(create(with(vod(), "vod_refresh_type", "continue_from_break_point")).status, 200);
}

TEST_F(RouterTest, VodStartVideoIndexIsWithinThePlaylist) {
  expect_invalid(create(with(vod(), "vod_start_video_index", -1)), "vod_start_video_index");
  expect_invalid(create(with(vod(), "vod_start_video_index", 2)), "vod_start_video_index");
  EXPECT_EQ(create(with(vod(), "vod_start_video_index", 1)).status, 200);
}

TEST_F(RouterTest, VodStartVideoTimeIsWithinRange) {
  expect_invalid(create(with(vod(), "vod_start_video_time", -1)), "vod_start_video_time");
  expect_invalid(create(with(vod(), "vod_start_video_time", 2147483648LL)), "vod_start_video_time");
  expect_invalid(create(with(vod(), "vod_start_video_time", 18446744073709551615ULL)),
                 "vod_start_video_time");
}

TEST_F(RouterTest, VodOnlyFieldsOnALiveTaskAreRefused) {
  expect_invalid(create(with(live(), "vod_loop_time", "2")), "vod_loop_time");
  expect_invalid(create(with(live(), "vod_refresh_type", "immediate_new_source")),
                 "vod_refresh_type");
  expect_invalid(create(with(live(), "vod_start_video_index", 0)), "vod_start_video_index");
  expect_invalid(create(with(live(), "vod_start_video_time", 0)), "vod_start_video_time");
}

TEST_F(RouterTest, BackupSourceRules) {
  expect_invalid(create(with(live(), "backup_source_type", "Other")), "backup_source_type");
  expect_invalid(create(with(live(), "backup_source_urls", {"ftp://x/y"})),
                 "backup_source_urls[0]");
  json many = json::array();
  for (int i = 0; i < 31; ++i) many.push_back("rtmp://b/live/" + std::to_string(i));
  expect_invalid(create(with(live(), "backup_source_urls", many)), "backup_source_urls");
  json standby = with(with(vod(), "backup_source_type", "PullLivePushLive"), "backup_source_urls",
                      {"rtmp://b/live/x"});
  EXPECT_EQ(create(standby).status, 200);
}

TEST_F(RouterTest, CallbackRules) {
  expect_invalid(create(with(live(), "callback_events", {"TaskStart", "Nope"})),
                 "callback_events[1]");
  expect_invalid(create(with(live(), "callback_url", "ftp://cb.example.com")), "callback_url");
  expect_invalid(create(with(live(), "callback_url", "http://c/" + std::string(2048, 'c'))),
                 "callback_url");
}

TEST_F(RouterTest, TwoActiveTasksPushingToOneDestinationConflict) {
  created_id(live());
  json other = with(live(), "source_urls", {"rtmp://elsewhere/live/x"});
  expect_refused(create(with(other, "push_args", "a=1")), 409, "LIVE.103011018", "destination");
}

TEST_F(RouterTest, ListPaginatesNewestFirst) {
  for (int i = 0; i < 12; ++i) {
    created_id(with(live(), "stream_name", "s" + std::to_string(i)));
  }
  Reply first = list();
  EXPECT_EQ(first.body["total"], 12);
  ASSERT_EQ(first.body["task_infos"].size(), 10u);
  EXPECT_EQ(first.body["task_infos"][0]["stream_name"], "s11");
  Reply second = list("offset=10&limit=5");
  ASSERT_EQ(second.body["task_infos"].size(), 2u);
  EXPECT_EQ(second.body["task_infos"][1]["stream_name"], "s0");
}

TEST_F(RouterTest, ListParametersAreChecked) {
  expect_invalid(list("offset=-1"), "offset");
  expect_invalid(list("offset=abc"), "offset");
  expect_invalid(list("offset=2147483648"), "offset");
  expect_invalid(list("limit=0"), "limit");
  expect_invalid(list("limit=101"), "limit");
  EXPECT_EQ(list("limit=100&offset=2147483647").status, 200);
}

TEST_F(RouterTest, ATaskIsInvisibleToOtherProjects) {
  std::string id = created_id(live());
  expect_refused(list("task_id=" + id, "p2"), 404, "LIVE.103011019", "task_id");
  EXPECT_EQ(list("", "p2").body["total"], 0);
  expect_refused(modify({{"task_id", id}, {"status", "pause"}}, "p2"), 404, "LIVE.103011019",
                 "task_id");
  expect_refused(remove("task_id=" + id, "p2"), 404, "LIVE.103011019", "task_id");
  EXPECT_EQ(list("task_id=" + id).status, 200);
}

TEST_F(RouterTest, ModifyNeedsAnExistingTaskId) {
  expect_invalid(modify({{"status", "pause"}}), "task_id");
  expect_refused(modify({{"task_id", "nope"}}), 404, "LIVE.103011019", "task_id");
}

TEST_F(RouterTest, ModifyPausesAndEnables) {
  clock.now = *task::parse_utc("2018-05-19T18:00:00Z");
  std::string id = created_id(live());
  EXPECT_EQ(modify({{"task_id", id}, {"status", "pause"}}).status, 200);
  EXPECT_EQ(info(id)["status"], "paused");
  EXPECT_EQ(modify({{"task_id", id}, {"status", "enable"}}).status, 200);
  // Its window is open: it is running (being started), never "waiting".
  EXPECT_EQ(info(id)["status"], "running");
  expect_invalid(modify({{"task_id", id}, {"status", "stop"}}), "status");
  std::string later =
      created_id(with(with(live(), "stream_name", "later"), "start_time", "2018-05-19T19:00:00Z"));
  EXPECT_EQ(info(later)["status"], "waiting");
}

TEST_F(RouterTest, EveryTaskCarriesEveryCreateField) {
  json stored = info(created_id(live()));
  for (const char* field :
       {"region", "source_type", "source_urls", "domain", "app_name", "stream_name", "push_args",
        "destination_url", "start_time", "end_time", "vod_loop_time", "vod_refresh_type",
        "vod_start_video_index", "vod_start_video_time", "backup_source_type", "backup_source_urls",
        "callback_events", "callback_url"}) {
    EXPECT_TRUE(stored.contains(field)) << field;
  }
  EXPECT_EQ(stored["backup_source_type"], "");
  EXPECT_EQ(stored["backup_source_urls"], json::array());
  EXPECT_EQ(stored["vod_loop_time"], "");
  EXPECT_EQ(stored["callback_url"], "");
  EXPECT_EQ(stored["destination_url"], "");
}

TEST_F(RouterTest, ModifyKeepsTypeAndDestination) {
  std::string id = created_id(live());
  expect_invalid(modify({{"task_id", id}, {"source_type", "PullVodPushLive"}}), "source_type");
  expect_invalid(modify({{"task_id", id}, {"stream_name", "other"}}), "destination");
  expect_invalid(modify({{"task_id", id}, {"destination_url", "rtmp://h/a/b"}}), "destination");
  EXPECT_EQ(modify({{"task_id", id}, {"stream_name", "test"}}).status, 200);
}

TEST_F(RouterTest, ModifyAppliesEveryCreateRule) {
  std::string live_id = created_id(live());
  expect_invalid(modify({{"task_id", live_id}, {"vod_loop_time", "3"}}), "vod_loop_time");
  expect_invalid(modify({{"task_id", live_id}, {"source_urls", {"rtmp://a/b/c", "rtmp://a/b/d"}}}),
                 "source_urls");
  expect_invalid(modify({{"task_id", live_id}, {"end_time", "2030-01-01T00:00:00Z"}}), "end_time");
  std::string vod_id = created_id(vod());
  expect_invalid(modify({{"task_id", vod_id}, {"vod_start_video_index", 2}}),
                 "vod_start_video_index");
  expect_invalid(
      modify(
          {{"task_id", vod_id}, {"source_urls", {"http://m/a.mp4"}}, {"vod_start_video_index", 1}}),
      "vod_start_video_index");
  EXPECT_EQ(modify({{"task_id", vod_id},
                    {"source_urls", {"http://m/c.mp4"}},
                    {"vod_loop_time", "2"},
                    {"vod_refresh_type", "continue_from_break_point"}})
                .status,
            200);
  json stored = info(vod_id);
  EXPECT_EQ(stored["source_urls"], json({"http://m/c.mp4"}));
  EXPECT_EQ(stored["vod_loop_time"], "2");
}

TEST_F(RouterTest, AFinishedTaskOnlyAcceptsALaterEndTime) {
  std::string id = created_id(
      with(with(live(), "start_time", "2018-05-19T17:00:00Z"), "end_time", "2018-05-19T18:00:00Z"));
  clock.now = *task::parse_utc("2018-05-19T18:30:00Z");
  EXPECT_EQ(info(id)["status"], "finished");
  expect_refused(modify({{"task_id", id}, {"status", "pause"}}), 400, "LIVE.103011022", "end_time");
  EXPECT_EQ(modify({{"task_id", id}, {"end_time", "2018-05-19T20:00:00Z"}}).status, 200);
  EXPECT_NE(info(id)["status"], "finished");
}

TEST_F(RouterTest, DeleteRemovesTheTask) {
  std::string id = created_id(live());
  expect_invalid(remove(""), "task_id");
  expect_refused(remove("task_id=nope"), 404, "LIVE.103011019", "task_id");
  expect_refused(remove("task_id=" + id + "&region=elsewhere"), 404, "LIVE.103011019", "task_id");
  Reply reply = remove("task_id=" + id + "&region=local");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body["task_id"], id);
  expect_refused(list("task_id=" + id), 404, "LIVE.103011019", "task_id");
  expect_refused(remove("task_id=" + id), 404, "LIVE.103011019", "task_id");
}

TEST_F(RouterTest, UnknownPathsAndMethodsGetTheErrorBody) {
  // The vendor's API gateway answers a route it does not know with APIG.0101.
  expect_refused(call("GET", "/v1/p1/pull/stream"), 404, "APIG.0101", "/v1/p1/pull/stream");
  expect_refused(call("GET", "/"), 404, "APIG.0101", "API");
  Reply reply = call("PATCH", "/v1/p1/pull/stream/task");
  expect_refused(reply, 405, "LIVE.100011011", "PATCH");
  EXPECT_EQ(reply.raw.headers.back(),
            std::make_pair(std::string("Allow"), std::string("GET, POST, PUT, DELETE")));
}

TEST_F(RouterTest, ABodyOverTheLimitIsA413) {
  api::HttpRequest request;
  request.method = "POST";
  request.target = "/v1/p1/pull/stream/task";
  request.transport_error = api::TransportError::body_too_large;
  api::HttpResponse response = router.handle(request);
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(json::parse(response.body)["error_code"], "LIVE.100011001");
}

TEST(RouterAuth, TokensAreCheckedForProjectAndAction) {
  test_support::TempDir dir;
  store::SqliteStore store{dir.file("db")};
  task::SystemClock clock;
  app::TaskService service{store, clock, {}};
  auto credentials = api::parse_credentials(R"({"tokens": [
      {"token": "all", "projects": ["p1"]},
      {"token": "reader", "projects": ["p1"], "actions": ["live:stream:listPullTask"]}]})");
  ASSERT_TRUE(credentials.ok());
  api::CredentialAuthenticator auth{*credentials, clock};
  api::Router router{service, auth};
  auto get = [&](std::map<std::string, std::string> headers, const std::string& project = "p1") {
    api::HttpRequest request =
        request_of("GET", "/v1/" + project + "/pull/stream/task", std::move(headers), "");
    api::HttpResponse response = router.handle(request);
    return std::make_pair(response.status, json::parse(response.body)["error_code"]);
  };
  EXPECT_EQ(get({}).first, 401);
  EXPECT_EQ(get({}).second, "APIG.0301");
  EXPECT_EQ(get({{"x-auth-token", "wrong"}}).first, 401);
  EXPECT_EQ(get({{"x-auth-token", "all"}}).first, 200);
  EXPECT_EQ(get({{"x-auth-token", "all"}}, "p2").first, 403);
  EXPECT_EQ(get({{"x-auth-token", "all"}}, "p2").second, "LIVE.100011003");
  EXPECT_EQ(get({{"x-auth-token", "reader"}}).first, 200);
  api::HttpRequest post =
      request_of("POST", "/v1/p1/pull/stream/task", {{"x-auth-token", "reader"}}, "{}");
  EXPECT_EQ(router.handle(post).status, 403);
}

TEST(RouterEgress, RefusedAddressesAreA400NamingTheField) {
  test_support::TempDir dir;
  store::SqliteStore store{dir.file("db")};
  FakeClock clock;
  app::TaskService service{store, clock, {"local", {}, {}, {}}};
  api::OpenAuthenticator open;
  api::Router router{service, open};
  auto create = [&](json body) {
    api::HttpRequest request = request_of("POST", "/v1/p1/pull/stream/task", {}, body.dump());
    api::HttpResponse response = router.handle(request);
    return Reply{response.status, json::parse(response.body), response};
  };
  json body = {{"source_type", "PullLivePushLive"},
               {"source_urls", {"rtmp://play.example.com/live/a"}},
               {"destination_url", "rtmp://publish.example.com/live/b"}};
  EXPECT_EQ(create(body).status, 200);
  expect_invalid(create(with(body, "source_urls", {"rtmp://169.254.169.254/latest/x"})),
                 "source_urls[0]");
  expect_invalid(create(with(body, "source_urls", {"http://[fe80::1]/x.flv"})), "source_urls[0]");
  expect_invalid(create(with(body, "source_urls", {"rtmp://127.0.0.1/live/a"})), "source_urls[0]");
  expect_invalid(create(with(body, "source_urls", {"rtmp://10.1.2.3/live/a"})), "source_urls[0]");
  expect_invalid(create(with(body, "source_urls", {"rtmp://2130706433/live/a"})), "source_urls[0]");
  expect_invalid(create(with(body, "destination_url", "rtmp://192.168.1.5/live/b")),
                 "destination_url");
  expect_invalid(create(with(body, "callback_url", "100.100.100.200/hook")), "callback_url");
  // IPv6 forms that reach an IPv4 address are judged by it: NAT64, 6to4, Teredo, translated.
  for (const char* url :
       {"rtmp://[64:ff9b::7f00:1]/live/a", "rtmp://[64:ff9b::a9fe:a9fe]/live/a",
        "rtmp://[64:ff9b:1:a9fe:a9::fe]/live/a", "rtmp://[2002:7f00:1::]/live/a",
        "rtmp://[2001:0:808:808::80ff:fffe]/live/a", "rtmp://[::ffff:0:127.0.0.1]/live/a"}) {
    expect_invalid(create(with(body, "source_urls", {url})), "source_urls[0]");
  }
  json domain = {{"source_type", "PullLivePushLive"},
                 {"source_urls", {"rtmp://play.example.com/live/a"}},
                 {"domain", "[::1]:1935"},
                 {"app_name", "live"},
                 {"stream_name", "x"}};
  expect_invalid(create(domain), "domain");
}

TEST_F(RouterTest, ControlAndBidiCharactersAreRefusedNamingTheField) {
  std::string nul("a\0b", 3);
  expect_invalid(create(with(live(), "region", nul)), "region");
  expect_invalid(create(with(live(), "region", "cn\nnorth")), "region");
  expect_invalid(create(with(live(), "region", "..")), "region");
  expect_invalid(create(with(live(), "stream_name", "key\xE2\x80\xAEgpj.exe")), "stream_name");
  expect_invalid(create(with(live(), "app_name", "li\xC2\x85ve")), "app_name");
  expect_invalid(create(with(live(), "domain", "h\xE2\x81\xA6.example.com")), "domain");
  expect_invalid(create(with(live(), "callback_url", "http://c.example.com/\xE2\x80\xAEx")),
                 "callback_url");
  expect_invalid(create(with(live(), "source_urls", {"rtmp://h/live/\xE2\x80\x8F"})),
                 "source_urls[0]");
  expect_invalid(list("region=a%00b"), "region");
  expect_invalid(list("task_id=a%0Ab"), "task_id");
  for (const char* project : {"..", ".", "a..b", "%2e%2e", "x%0Ay", "-p"}) {
    expect_invalid(list("", project), "project_id");
  }
  EXPECT_EQ(create(with(live(), "stream_name", "caf\xC3\xA9-\xE4\xB8\xAD")).status, 200);
}

TEST_F(RouterTest, DestinationsConflictOnlyWithinAProjectInTheirCanonicalForm) {
  json victim = with(without(without(without(live(), "domain"), "app_name"), "stream_name"),
                     "destination_url", "rtmp://ingest.example.com/live/victim");
  EXPECT_EQ(create(victim).status, 200);
  // Another project's destination is neither visible nor blocking.
  EXPECT_EQ(create(victim, "p2").status, 200);
  // Spellings of the same destination conflict within the project.
  for (const char* spelling :
       {"rtmp://ingest.example.com/live/%76ictim", "rtmp://ingest.example.com//live/victim",
        "rtmp://INGEST.EXAMPLE.COM:1935/live/victim", "rtmp://ingest.example.com/live//victim/",
        "rtmp://ingest.example.com/live/victim?token=other"}) {
    expect_refused(create(with(victim, "destination_url", spelling)), 409, "LIVE.103011018",
                   "destination");
  }
  EXPECT_EQ(create(with(victim, "destination_url", "rtmp://ingest.example.com/live/Victim")).status,
            200);
}

TEST(RouterAuth, FailedAuthenticationsFromOneAddressAreThrottled) {
  test_support::TempDir dir;
  store::SqliteStore store{dir.file("db")};
  task::SystemClock clock;
  app::TaskService service{store, clock, {}};
  auto credentials =
      api::parse_credentials(R"({"tokens": [{"token": "good", "projects": ["p1"]}]})");
  ASSERT_TRUE(credentials.ok());
  api::CredentialAuthenticator auth{*credentials, clock};
  api::RateLimiter failures(0.5, 30);  // 30 a minute, 30 at once
  api::Router router{service, auth, nullptr, &failures};
  auto get = [&](const std::string& token, const std::string& peer) {
    api::HttpRequest request =
        request_of("GET", "/v1/p1/pull/stream/task", {{"x-auth-token", token}}, "");
    request.peer_address = peer;
    return router.handle(request).status;
  };
  int unauthenticated = 0;
  int throttled = 0;
  for (int i = 0; i < 1000; ++i) {
    int status = get("wrong-" + std::to_string(i), "192.0.2.7");
    unauthenticated += status == 401;
    throttled += status == 429;
  }
  EXPECT_GE(unauthenticated, 30);
  EXPECT_LE(unauthenticated, 35);  // the bucket refills at 0.5 per second meanwhile
  EXPECT_EQ(unauthenticated + throttled, 1000);
  // While throttled, the address is refused before its credentials are read.
  EXPECT_EQ(get("good", "192.0.2.7"), 429);
  // Other addresses are not affected.
  EXPECT_EQ(get("good", "192.0.2.8"), 200);
  EXPECT_EQ(get("wrong", "192.0.2.8"), 401);
}

TEST_F(RouterTest, AnXProjectIdOtherThanThePathsIsA401) {
  std::string body = live().dump();
  std::map<std::string, std::string> other = {{"content-type", "application/json"},
                                              {"x-project-id", "p2"}};
  expect_refused(call("POST", "/v1/p1/pull/stream/task", body, other), 401, "LIVE.100011015",
                 "X-Project-Id");
  expect_refused(call("GET", "/v1/p1/pull/stream/task", "", {{"x-project-id", "p2"}}), 401,
                 "LIVE.100011015", "X-Project-Id");
  EXPECT_EQ(list().body["total"], 0) << "a refused request created a task";
  EXPECT_EQ(call("POST", "/v1/p1/pull/stream/task", body, {{"x-project-id", "p1"}}).status, 200);
}

TEST_F(RouterTest, TheQuotaAndTheRateLimitHaveTheirOwnCodes) {
  app::TaskServiceSettings limited = settings;
  limited.project_task_quota = 1;
  app::TaskService quota_service{store, clock, limited};
  api::RateLimiter limiter(0.001, 2);  // two requests, then (practically) none
  api::Router limited_router{quota_service, open, &limiter};
  auto post = [&](const json& body) {
    api::HttpRequest request = request_of("POST", "/v1/q/pull/stream/task",
                                          {{"content-type", "application/json"}}, body.dump());
    api::HttpResponse response = limited_router.handle(request);
    return Reply{response.status, json::parse(response.body), response};
  };
  EXPECT_EQ(post(live()).status, 200);
  expect_refused(post(with(live(), "stream_name", "second")), 429, "LIVE.103011020", "quota");
  expect_refused(post(with(live(), "stream_name", "third")), 429, "LIVE.100011007", "rate");
}

TEST(RouterErrors, AStoreThatFailsIsA500ThatLeaksNothing) {
  test_support::TempDir dir;
  auto store = std::make_unique<store::SqliteStore>(dir.file("db"));
  FakeClock clock;
  app::TaskService service{*store, clock, {}};
  api::OpenAuthenticator open;
  api::Router router{service, open};
  {
    // Another writer breaks the database under the service.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE tasks; DROP TABLE task_blocks; DROP TABLE task_counts",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  api::HttpResponse response = router.handle(request_of("GET", "/v1/p1/pull/stream/task", {}, ""));
  json body = json::parse(response.body);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(body["error_code"], "LIVE.100011005");
  EXPECT_EQ(body["error_msg"], "internal error");
  EXPECT_FALSE(body.value("request_id", "").empty());
}

TEST(RouterAuth, EveryAuthenticationFailureIsAPIG0301WithOneMessageForUnknownKeys) {
  test_support::TempDir dir;
  store::SqliteStore store{dir.file("db")};
  FakeClock clock;
  app::TaskService service{store, clock, {}};
  auto credentials = api::parse_credentials(
      R"({"access_keys": [{"ak": "AKREAL", "sk": "real-secret", "projects": ["p1"]}]})");
  ASSERT_TRUE(credentials.ok());
  api::CredentialAuthenticator auth{*credentials, clock};
  api::Router router{service, auth};
  std::string date = "20180519T170000Z";
  auto signed_get = [&](const std::string& ak, const std::string& sk) {
    api::HttpRequest request =
        request_of("GET", "/v1/p1/pull/stream/task", {{"host", "h"}, {"x-sdk-date", date}}, "");
    std::vector<std::string> names = {"host", "x-sdk-date"};
    std::string hash = *api::sdk_payload_hash(request, names);
    std::string signature =
        api::sdk_signature(sk, date, api::sdk_canonical_request(request, names, hash));
    request.headers["authorization"] =
        "SDK-HMAC-SHA256 Access=" + ak + ", SignedHeaders=host;x-sdk-date, Signature=" + signature;
    api::HttpResponse response = router.handle(request);
    return Reply{response.status, json::parse(response.body), response};
  };
  EXPECT_EQ(signed_get("AKREAL", "real-secret").status, 200);
  Reply wrong_secret = signed_get("AKREAL", "not-the-secret");
  Reply unknown_key = signed_get("AKNOBODY", "real-secret");
  expect_refused(wrong_secret, 401, "APIG.0301", "Incorrect IAM authentication information");
  expect_refused(unknown_key, 401, "APIG.0301", "Incorrect IAM authentication information");
  EXPECT_EQ(wrong_secret.body["error_msg"], unknown_key.body["error_msg"]);
  api::HttpResponse response = router.handle(request_of("GET", "/v1/p1/pull/stream/task", {}, ""));
  expect_refused({response.status, json::parse(response.body), response}, 401, "APIG.0301",
                 "credentials required");
}
