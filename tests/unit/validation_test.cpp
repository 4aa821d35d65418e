#include <gtest/gtest.h>

#include "task/task_spec.h"
#include "task/validation.h"

using namespace streamrelay::task;

namespace {

constexpr int64_t kNow = 1'800'000'000;

CreateRequest live_request() {
  CreateRequest request;
  request.source_type = "PullLivePushLive";
  request.source_urls = std::vector<std::string>{"rtmp://src/live/a"};
  request.destination_url = "rtmp://dst/live/b";
  return request;
}

ValidationContext context() {
  ValidationContext ctx;
  ctx.now = kNow;
  return ctx;
}

}  // namespace

TEST(Validation, AStandbyWithoutATypeTakesThePrimarysType) {
  CreateRequest request = live_request();
  request.backup_source_urls = std::vector<std::string>{"rtmp://b/live/x"};
  auto spec = build_spec(request, context());
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->backup_source_type, SourceType::live);
}

TEST(Validation, DuplicateCallbackEventsAreStoredOnce) {
  CreateRequest request = live_request();
  request.callback_events = std::vector<std::string>{"TaskStart", "TaskStart", "TaskExit"};
  auto spec = build_spec(request, context());
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->callback_events, (std::vector<std::string>{"TaskStart", "TaskExit"}));
}

TEST(Validation, PushArgsAreAppendedToTheDestination) {
  TaskSpec spec;
  spec.domain = "h:1935";
  spec.app_name = "live";
  spec.stream_name = "s";
  spec.push_args = "a=1";
  EXPECT_EQ(destination_of(spec), "rtmp://h:1935/live/s?a=1");
  spec.destination_url = "rtmp://x/l/s?k=v";
  spec.domain = spec.app_name = spec.stream_name = "";
  EXPECT_EQ(destination_of(spec), "rtmp://x/l/s?k=v&a=1");
}

TEST(Status, IsDerivedFromWindowPauseAndRelayReport) {
  TaskRecord record;
  record.spec.start_time = kNow + 10;
  record.spec.end_time = kNow + 100;
  EXPECT_EQ(derive_status(record, kNow), TaskStatus::waiting);
  // Inside the window, a relay being started reads running: waiting is for start_time alone.
  EXPECT_EQ(derive_status(record, kNow + 10), TaskStatus::running);
  record.runtime.relay_state = RelayState::starting;
  EXPECT_EQ(derive_status(record, kNow + 10), TaskStatus::running);
  EXPECT_EQ(derive_status(record, kNow + 9), TaskStatus::waiting);
  record.runtime.relay_state = RelayState::flowing;
  EXPECT_EQ(derive_status(record, kNow + 10), TaskStatus::running);
  record.runtime.relay_state = RelayState::failing;
  EXPECT_EQ(derive_status(record, kNow + 10), TaskStatus::abnormal);
  record.spec.is_paused = true;
  EXPECT_EQ(derive_status(record, kNow + 10), TaskStatus::paused);
  EXPECT_EQ(derive_status(record, kNow + 100), TaskStatus::finished);
  record.spec.is_paused = false;
  record.finish_reason = FinishReason::loop_finished;
  EXPECT_EQ(derive_status(record, kNow + 10), TaskStatus::finished);
}
