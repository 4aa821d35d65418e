// A relay's events and snapshots in the contract's terms.
#include <gtest/gtest.h>

#include "control/relay_reports.h"

using namespace streamrelay;

namespace {

task::TaskSpec vod_spec() {
  task::TaskSpec spec;
  spec.task_id = "t1";
  spec.source_type = task::SourceType::vod;
  spec.source_urls = {"https://files.example/a.mp4"};
  return spec;
}

}  // namespace

TEST(RelayReports, AlarmsCarryTheContractsNamesAndTheFile) {
  media::RelayEvent event{
      media::RelayEventKind::file_failed, "https://files.example/a.mp4", "corrupt", 0, 2, 0};
  auto made = control::task_event_of(vod_spec(), event, "", 1700000000);
  ASSERT_TRUE(made);
  EXPECT_EQ(made->event_type, "TaskAlarm");
  EXPECT_NE(made->data.find("SourceFileFailed"), std::string::npos) << made->data;
  EXPECT_NE(made->data.find("corrupt"), std::string::npos) << made->data;
  EXPECT_EQ(made->timestamp, 1700000000);
}

TEST(RelayReports, EveryRelayEventHasItsTaskEvent) {
  task::TaskSpec spec = vod_spec();
  std::pair<media::RelayEventKind, const char*> expected[] = {
      {media::RelayEventKind::failover_to_backup, "TaskAlarm"},
      {media::RelayEventKind::started, "TaskStart"},
      {media::RelayEventKind::file_started, "VodSourceFileStart"},
      {media::RelayEventKind::file_finished, "VodSourceFileFinish"}};
  for (auto [kind, type] : expected) {
    auto made = control::task_event_of(spec, {kind, "", "", 0, 0, 0}, "src", 1);
    ASSERT_TRUE(made);
    EXPECT_EQ(made->event_type, type);
  }
}

TEST(RelayReports, AnOverdueStartReadsFailingWithAReason) {
  task::TaskRuntime runtime;
  media::RelaySnapshot snapshot;
  snapshot.phase = media::RelayPhase::starting;
  control::apply_snapshot(runtime, snapshot, true, false);
  EXPECT_EQ(runtime.relay_state, task::RelayState::failing);
  EXPECT_EQ(runtime.last_error, "nothing has flowed since the start");
  control::apply_snapshot(runtime, snapshot, false, false);
  EXPECT_EQ(runtime.relay_state, task::RelayState::starting);
  EXPECT_TRUE(runtime.last_error.empty());
}

TEST(RelayReports, APlayheadIsThePositionUnlessThePlaylistFinished) {
  media::RelaySnapshot snapshot;
  snapshot.phase = media::RelayPhase::flowing;
  snapshot.source_url = "read-ahead";
  snapshot.playhead = {.file_index = 3,
                       .loop_round = 1,
                       .position_ms = 2500,
                       .url = "u",
                       .masked_url = "on-air",
                       .is_known = true};
  task::TaskRuntime runtime;
  control::apply_snapshot(runtime, snapshot, false, false);
  EXPECT_EQ(runtime.file_index, 3);
  EXPECT_EQ(runtime.looped_times, 1);
  EXPECT_DOUBLE_EQ(runtime.file_offset_seconds, 2.5);
  EXPECT_EQ(runtime.source_url, "on-air");

  task::TaskRuntime finished;
  finished.file_index = 9;
  control::apply_snapshot(finished, snapshot, false, true);
  EXPECT_EQ(finished.file_index, 9);
  EXPECT_EQ(finished.source_url, "read-ahead");
}
