#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace streamrelay::task {

// A create body as sent, already checked for JSON types; absent (or null) fields are nullopt.
struct CreateRequest {
  std::optional<std::string> region;
  std::optional<std::string> source_type;
  std::optional<std::vector<std::string>> source_urls;
  std::optional<std::string> domain;
  std::optional<std::string> app_name;
  std::optional<std::string> stream_name;
  std::optional<std::string> push_args;
  std::optional<std::string> destination_url;
  std::optional<std::string> start_time;
  std::optional<std::string> end_time;
  std::optional<std::string> vod_loop_time;
  std::optional<std::string> vod_refresh_type;
  std::optional<int64_t> vod_start_video_index;
  std::optional<int64_t> vod_start_video_time;
  std::optional<std::string> backup_source_type;
  std::optional<std::vector<std::string>> backup_source_urls;
  std::optional<std::vector<std::string>> callback_events;
  std::optional<std::string> callback_url;
};

// A modify body: the task to change and the fields to change; absent fields keep their value.
struct ModifyRequest {
  std::optional<std::string> task_id;
  std::optional<std::string> region;
  std::optional<std::string> status;
  std::optional<std::string> source_type;
  std::optional<std::vector<std::string>> source_urls;
  std::optional<std::string> domain;
  std::optional<std::string> app_name;
  std::optional<std::string> stream_name;
  std::optional<std::string> push_args;
  std::optional<std::string> destination_url;
  std::optional<std::string> start_time;
  std::optional<std::string> end_time;
  std::optional<std::string> vod_loop_time;
  std::optional<std::string> vod_refresh_type;
  std::optional<int64_t> vod_start_video_index;
  std::optional<int64_t> vod_start_video_time;
  std::optional<std::string> backup_source_type;
  std::optional<std::vector<std::string>> backup_source_urls;
  std::optional<std::vector<std::string>> callback_events;
  std::optional<std::string> callback_url;
};

// Query parameters of a list, as raw text.
struct ListRequest {
  std::optional<std::string> region;
  std::optional<std::string> task_id;
  std::optional<std::string> offset;
  std::optional<std::string> limit;
};

struct ListQuery {
  std::optional<std::string> region;
  std::optional<std::string> task_id;
  int64_t offset = 0;
  int64_t limit = 10;
};

}  // namespace streamrelay::task
