#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "net/digest.h"
#include "notify/signature.h"
#include "task/task_event.h"

using namespace streamrelay::task;
using nlohmann::json;

namespace {

TaskSpec spec_with_secrets() {
  TaskSpec spec;
  spec.task_id = "t1";
  spec.project_id = "p1";
  spec.source_urls = {"rtmp://user:secret@src.example.com/live/cam?token=abc"};
  spec.destination_url = "rtmp://ingest.example.com/live2/abcd-efgh-ijkl?key=zzz";
  spec.callback_url = "hooks.example.com/relay";
  return spec;
}

}  // namespace

TEST(TaskEvent, UrlsInAnEventHaveTheirCredentialsMasked) {
  TaskSpec spec = spec_with_secrets();
  TaskEvent event = task_start_event(spec, "rtmp://***@src.example.com/live/cam?token=***", 100);
  json data = json::parse(event.data);
  EXPECT_EQ(data["destination"], "rtmp://ingest.example.com/live2/abcd***?key=***");
  EXPECT_EQ(data["source_url"].get<std::string>().find("secret"), std::string::npos);
}

TEST(TaskEvent, ACallbackUrlWithoutSchemeIsDeliveredOverHttp) {
  TaskEvent event = alarm_event(spec_with_secrets(), "PushFailed", "x", 100);
  EXPECT_EQ(event.callback_url, "http://hooks.example.com/relay");
}

TEST(TaskEvent, VodEventsAreNeverSentForLiveTasks) {
  TaskSpec spec = spec_with_secrets();
  EXPECT_FALSE(is_subscribed(spec, "VodSourceFileStart"));
  EXPECT_TRUE(is_subscribed(spec, "TaskAlarm"));
  spec.callback_events = {"TaskExit"};
  EXPECT_FALSE(is_subscribed(spec, "TaskAlarm"));
  EXPECT_TRUE(file_start_event(spec, 0, "f", 0, 1).callback_url.empty());
}

TEST(TaskEvent, ResetTaskConfigNamesTheChangedFields) {
  TaskSpec before = spec_with_secrets();
  before.source_type = SourceType::vod;
  before.source_urls = {"http://m/a.mp4"};
  TaskSpec after = before;
  after.source_urls = {"http://m/b.mp4?sign=123"};
  after.vod_refresh_type = VodRefreshType::continue_from_break_point;
  json data = json::parse(reset_config_event(before, after, 1).data);
  EXPECT_EQ(data["changed"]["source_urls"], json({"http://m/b.mp4?sign=***"}));
  EXPECT_EQ(data["vod_refresh_type"], "continue_from_break_point");
}

TEST(TaskEvent, TheBodyCarriesEveryContractField) {
  TaskEvent event = task_exit_event(spec_with_secrets(), "Deleted", "", 1136214245);
  event.sequence = 7;
  json body = json::parse(event_body(event));
  for (const char* field : {"event_id", "event_type", "task_id", "project_id", "source_type",
                            "sequence", "timestamp", "data"}) {
    EXPECT_TRUE(body.contains(field)) << field;
  }
  EXPECT_EQ(body["timestamp"], "2006-01-02T15:04:05Z");
  EXPECT_EQ(body["data"]["reason"], "Deleted");
}

TEST(Signature, IsTheHmacOfTimestampDotBody) {
  // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), a published test vector.
  EXPECT_EQ(streamrelay::net::hmac_sha256_hex("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  EXPECT_EQ(streamrelay::notify::callback_signature("key", "1", "{}"),
            "sha256=" + streamrelay::net::hmac_sha256_hex("key", "1.{}"));
}
