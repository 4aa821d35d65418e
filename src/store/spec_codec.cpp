#include "store/spec_codec.h"

#include <nlohmann/json.hpp>

namespace streamrelay::store {

using nlohmann::json;

std::string encode_spec(const task::TaskSpec& spec) {
  json doc = {
      {"task_id", spec.task_id},
      {"project_id", spec.project_id},
      {"region", spec.region},
      {"source_type", task::to_string(spec.source_type)},
      {"source_urls", spec.source_urls},
      {"domain", spec.domain},
      {"app_name", spec.app_name},
      {"stream_name", spec.stream_name},
      {"push_args", spec.push_args},
      {"destination_url", spec.destination_url},
      {"start_time", spec.start_time},
      {"end_time", spec.end_time},
      {"vod_loop_time", spec.vod_loop_time},
      {"vod_refresh_type", task::to_string(spec.vod_refresh_type)},
      {"vod_start_video_index", spec.vod_start_video_index},
      {"vod_start_video_time", spec.vod_start_video_time},
      {"backup_source_urls", spec.backup_source_urls},
      {"callback_events", spec.callback_events},
      {"callback_url", spec.callback_url},
      {"is_paused", spec.is_paused},
      {"create_time", spec.create_time},
  };
  if (spec.backup_source_type)
    doc["backup_source_type"] = task::to_string(*spec.backup_source_type);
  return doc.dump();
}

task::TaskSpec SpecCache::decode(std::string_view text, int64_t seq, int64_t revision) {
  {
    std::lock_guard lock(mutex_);
    auto found = entries_.find(seq);
    if (found != entries_.end() && found->second.revision == revision) return found->second.spec;
  }
  task::TaskSpec spec = decode_spec(text);  // parsed outside the lock
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[seq] = {revision, spec};
  return spec;
}

task::TaskSpec decode_spec(std::string_view text) {
  json doc = json::parse(text);
  task::TaskSpec spec;
  spec.task_id = doc.value("task_id", "");
  spec.project_id = doc.value("project_id", "");
  spec.region = doc.value("region", "");
  spec.source_type =
      task::parse_source_type(doc.value("source_type", "")).value_or(task::SourceType::live);
  spec.source_urls = doc.value("source_urls", std::vector<std::string>{});
  spec.domain = doc.value("domain", "");
  spec.app_name = doc.value("app_name", "");
  spec.stream_name = doc.value("stream_name", "");
  spec.push_args = doc.value("push_args", "");
  spec.destination_url = doc.value("destination_url", "");
  spec.start_time = doc.value("start_time", int64_t{0});
  spec.end_time = doc.value("end_time", int64_t{0});
  spec.vod_loop_time = doc.value("vod_loop_time", int64_t{-1});
  spec.vod_refresh_type = task::parse_vod_refresh_type(doc.value("vod_refresh_type", ""))
                              .value_or(task::VodRefreshType::immediate_new_source);
  spec.vod_start_video_index = doc.value("vod_start_video_index", int64_t{0});
  spec.vod_start_video_time = doc.value("vod_start_video_time", int64_t{0});
  if (doc.contains("backup_source_type")) {
    spec.backup_source_type = task::parse_source_type(doc["backup_source_type"].get<std::string>());
  }
  spec.backup_source_urls = doc.value("backup_source_urls", std::vector<std::string>{});
  spec.callback_events = doc.value("callback_events", std::vector<std::string>{});
  spec.callback_url = doc.value("callback_url", "");
  spec.is_paused = doc.value("is_paused", false);
  spec.create_time = doc.value("create_time", int64_t{0});
  return spec;
}

}  // namespace streamrelay::store
