#include <gtest/gtest.h>

#include "api/json_codec.h"

using namespace streamrelay;

TEST(TaskInfoJson, APlaylistFinishedByItsRoundsReadsAllOfThemBeforeItsLastReportIsWritten) {
  task::TaskRecord record;
  record.spec.vod_loop_time = 2;
  record.runtime.looped_times = 1;  // the report of the last round is written after the finish
  record.finish_reason = task::FinishReason::loop_finished;
  EXPECT_EQ(api::task_info_json(record, 0)["runtime"]["looped_times"], 2);
}

TEST(TaskInfoJson, ARunningPlaylistReadsTheRoundsItsReportSays) {
  task::TaskRecord record;
  record.spec.vod_loop_time = 2;
  record.runtime.looped_times = 1;
  EXPECT_EQ(api::task_info_json(record, 0)["runtime"]["looped_times"], 1);
}
