#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/json_codec.h"

using namespace streamrelay;
using nlohmann::json;

namespace {

json only_task_of(const task::TaskRecord& record, int64_t now = 0) {
  json body = json::parse(api::task_list_body({record}, 1, now, "request"));
  return body.at("task_infos").at(0);
}

task::TaskRecord playlist_task() {
  task::TaskRecord record;
  task::TaskSpec& spec = record.spec;
  spec.task_id = "3f1c2d9e-0000-4000-8000-000000000001";
  spec.region = "local";
  spec.source_type = task::SourceType::vod;
  spec.source_urls = {"https://media.example.com/a.mp4", "https://media.example.com/b \"c\".mp4"};
  spec.destination_url = "rtmp://ingest.example.com/live/\u00e9t\u00e9";
  spec.push_args = "key=a\\b\nc\x01";
  spec.start_time = 1767225600;  // 2026-01-01T00:00:00Z
  spec.end_time = 1767229200;
  spec.create_time = 1767222000;
  spec.vod_loop_time = 3;
  spec.vod_start_video_index = 1;
  spec.vod_start_video_time = 20;
  spec.backup_source_type = task::SourceType::live;
  spec.backup_source_urls = {"rtmp://standby.example.com/live/s"};
  spec.callback_events = {"TaskStart", "TaskExit"};
  spec.callback_url = "https://hooks.example.com/relay";
  record.runtime.file_index = 1;
  record.runtime.file_offset_seconds = 12.5;
  record.runtime.started_at = 1767225601;
  record.runtime.bytes_out = 1 << 20;
  record.runtime.last_error = "source said \"no\"";
  return record;
}

}  // namespace

TEST(TaskListBody, APlaylistFinishedByItsRoundsReadsAllOfThemBeforeItsLastReportIsWritten) {
  task::TaskRecord record;
  record.spec.vod_loop_time = 2;
  record.runtime.looped_times = 1;  // the report of the last round is written after the finish
  record.finish_reason = task::FinishReason::loop_finished;
  EXPECT_EQ(only_task_of(record)["runtime"]["looped_times"], 2);
}

TEST(TaskListBody, ARunningPlaylistReadsTheRoundsItsReportSays) {
  task::TaskRecord record;
  record.spec.vod_loop_time = 2;
  record.runtime.looped_times = 1;
  EXPECT_EQ(only_task_of(record)["runtime"]["looped_times"], 1);
}

TEST(TaskListBody, EveryFieldIsWrittenWithItsTypeAndTextComesBackAsItWent) {
  task::TaskRecord record = playlist_task();
  json info = only_task_of(record, record.spec.start_time + 10);
  const task::TaskSpec& spec = record.spec;
  EXPECT_EQ(info.size(), 22u);
  EXPECT_EQ(info["task_id"], spec.task_id);
  EXPECT_EQ(info["source_type"], "PullVodPushLive");
  EXPECT_EQ(info["source_urls"], json(spec.source_urls));
  EXPECT_EQ(info["destination_url"], spec.destination_url);
  EXPECT_EQ(info["push_args"], spec.push_args);
  EXPECT_EQ(info["start_time"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(info["end_time"], "2026-01-01T01:00:00Z");
  EXPECT_EQ(info["create_time"], "2025-12-31T23:00:00Z");
  EXPECT_EQ(info["status"], "running");
  EXPECT_EQ(info["vod_loop_time"], "3");
  EXPECT_EQ(info["vod_refresh_type"], "immediate_new_source");
  EXPECT_EQ(info["vod_start_video_index"], 1);
  EXPECT_EQ(info["vod_start_video_time"], 20);
  EXPECT_EQ(info["backup_source_type"], "PullLivePushLive");
  EXPECT_EQ(info["backup_source_urls"], json(spec.backup_source_urls));
  EXPECT_EQ(info["callback_events"], json(spec.callback_events));
  EXPECT_EQ(info["callback_url"], spec.callback_url);
  for (const char* empty : {"domain", "app_name", "stream_name"}) EXPECT_EQ(info[empty], "");
  const json& runtime = info["runtime"];
  EXPECT_EQ(runtime.size(), 12u);
  EXPECT_EQ(runtime["source"], "primary");
  EXPECT_EQ(runtime["file_index"], 1);
  EXPECT_EQ(runtime["file_offset_seconds"], 12.5);
  EXPECT_EQ(runtime["started_at"], "2026-01-01T00:00:01Z");
  EXPECT_TRUE(runtime["updated_at"].is_null());
  EXPECT_EQ(runtime["bytes_out"], 1 << 20);
  EXPECT_EQ(runtime["last_error"], record.runtime.last_error);
}

TEST(TaskListBody, ALiveTaskHasItsPlaylistFieldsEmpty) {
  task::TaskRecord record = playlist_task();
  record.spec.source_type = task::SourceType::live;
  json info = only_task_of(record);
  EXPECT_EQ(info["vod_loop_time"], "");
  EXPECT_EQ(info["vod_refresh_type"], "");
  EXPECT_EQ(info["vod_start_video_index"], 0);
  EXPECT_EQ(info["vod_start_video_time"], 0);
}

TEST(TaskListBody, IsCompactWithFieldsInNameOrderAsEveryOtherAnswer) {
  std::string body = api::task_list_body({playlist_task(), task::TaskRecord{}}, 7, 0, "r-1");
  json parsed = json::parse(body);
  EXPECT_EQ(parsed.dump(), body);  // the other answers' writer sorts names and adds no spaces
  EXPECT_EQ(parsed["total"], 7);
  EXPECT_EQ(parsed["request_id"], "r-1");
  EXPECT_EQ(parsed["task_infos"].size(), 2u);
}

TEST(TaskListBody, AnEmptyPageIsAnEmptyList) {
  json parsed = json::parse(api::task_list_body({}, 0, 0, "r-2"));
  EXPECT_TRUE(parsed["task_infos"].is_array());
  EXPECT_TRUE(parsed["task_infos"].empty());
}
