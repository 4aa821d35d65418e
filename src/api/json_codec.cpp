#include "api/json_codec.h"

#include <algorithm>
#include <limits>

#include "task/time_format.h"

namespace streamrelay::api {

using nlohmann::json;

namespace {

// Reads typed fields from a JSON object; the first type error is kept and reported.
class FieldReader {
 public:
  explicit FieldReader(const json& object) : object_(object) {}

  void text(const char* name, std::optional<std::string>& out) {
    const json* value = find(name);
    if (!value) return;
    if (!value->is_string()) return fail(std::string(name) + " must be a string");
    out = value->get<std::string>();
  }

  void integer(const char* name, std::optional<int64_t>& out) {
    const json* value = find(name);
    if (!value) return;
    if (value->is_number_unsigned()) {
      auto number = value->get<uint64_t>();
      constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
      out = number > kMax ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(number);
      return;
    }
    if (!value->is_number_integer()) return fail(std::string(name) + " must be an integer");
    out = value->get<int64_t>();
  }

  void text_list(const char* name, std::optional<std::vector<std::string>>& out) {
    const json* value = find(name);
    if (!value) return;
    if (!value->is_array()) return fail(std::string(name) + " must be an array of strings");
    std::vector<std::string> items;
    for (size_t i = 0; i < value->size(); ++i) {
      if (!(*value)[i].is_string()) {
        return fail(std::string(name) + "[" + std::to_string(i) + "] must be a string");
      }
      items.push_back((*value)[i].get<std::string>());
    }
    out = std::move(items);
  }

  const std::optional<task::Error>& error() const { return error_; }

 private:
  const json* find(const char* name) {
    if (error_) return nullptr;
    auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  void fail(std::string message) {
    if (!error_) error_ = task::invalid(std::move(message));
  }

  const json& object_;
  std::optional<task::Error> error_;
};

task::Result<json> parse_object(const std::string& body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) return task::invalid("request body is not valid JSON");
  if (!doc.is_object()) return task::invalid("request body must be a JSON object");
  return doc;
}

// The fields create and modify share.
template <typename Request>
void read_common(FieldReader& reader, Request& request) {
  reader.text("region", request.region);
  reader.text("source_type", request.source_type);
  reader.text_list("source_urls", request.source_urls);
  reader.text("domain", request.domain);
  reader.text("app_name", request.app_name);
  reader.text("stream_name", request.stream_name);
  reader.text("push_args", request.push_args);
  reader.text("destination_url", request.destination_url);
  reader.text("start_time", request.start_time);
  reader.text("end_time", request.end_time);
  reader.text("vod_loop_time", request.vod_loop_time);
  reader.text("vod_refresh_type", request.vod_refresh_type);
  reader.integer("vod_start_video_index", request.vod_start_video_index);
  reader.integer("vod_start_video_time", request.vod_start_video_time);
  reader.text("backup_source_type", request.backup_source_type);
  reader.text_list("backup_source_urls", request.backup_source_urls);
  reader.text_list("callback_events", request.callback_events);
  reader.text("callback_url", request.callback_url);
}

json time_or_null(int64_t unix_seconds) {
  return unix_seconds > 0 ? json(task::format_utc(unix_seconds)) : json(nullptr);
}

json runtime_json(const task::TaskRecord& record) {
  task::TaskRuntime runtime = record.runtime;
  // A playlist that finished its rounds has played them all, whether or not the last runtime
  // report has been written yet (the finish is recorded first).
  if (record.finish_reason == task::FinishReason::loop_finished)
    runtime.looped_times = std::max<int64_t>(runtime.looped_times, record.spec.vod_loop_time);
  return {
      {"source", runtime.source},
      {"source_url", runtime.source_url},
      {"file_index", runtime.file_index},
      {"file_offset_seconds", runtime.file_offset_seconds},
      {"looped_times", runtime.looped_times},
      {"started_at", time_or_null(runtime.started_at)},
      {"last_error", runtime.last_error},
      {"bytes_in", runtime.bytes_in},
      {"bytes_out", runtime.bytes_out},
      {"bitrate_kbps", runtime.bitrate_kbps},
      {"reconnects", runtime.reconnects},
      {"updated_at", time_or_null(runtime.updated_at)},
  };
}

}  // namespace

task::Result<task::CreateRequest> parse_create_body(const std::string& body) {
  auto doc = parse_object(body);
  if (!doc) return doc.error();
  task::CreateRequest request;
  FieldReader reader(*doc);
  read_common(reader, request);
  if (reader.error()) return *reader.error();
  return request;
}

task::Result<task::ModifyRequest> parse_modify_body(const std::string& body) {
  auto doc = parse_object(body);
  if (!doc) return doc.error();
  task::ModifyRequest request;
  FieldReader reader(*doc);
  reader.text("task_id", request.task_id);
  reader.text("status", request.status);
  read_common(reader, request);
  if (reader.error()) return *reader.error();
  return request;
}

json task_info_json(const task::TaskRecord& record, int64_t now) {
  const task::TaskSpec& spec = record.spec;
  json info = {
      {"task_id", spec.task_id},
      {"region", spec.region},
      {"source_type", task::to_string(spec.source_type)},
      {"source_urls", spec.source_urls},
      {"domain", spec.domain},
      {"app_name", spec.app_name},
      {"stream_name", spec.stream_name},
      {"push_args", spec.push_args},
      {"destination_url", spec.destination_url},
      {"start_time", task::format_utc(spec.start_time)},
      {"end_time", task::format_utc(spec.end_time)},
      {"backup_source_type",
       spec.backup_source_type ? task::to_string(*spec.backup_source_type) : ""},
      {"backup_source_urls", spec.backup_source_urls},
      {"callback_events", spec.callback_events},
      {"callback_url", spec.callback_url},
      {"create_time", task::format_utc(spec.create_time)},
      {"status", task::to_string(task::derive_status(record, now))},
      {"runtime", runtime_json(record)},
  };
  // Every create field is present; the VOD ones of a live task are empty.
  bool is_vod = spec.is_vod();
  info["vod_loop_time"] = is_vod ? std::to_string(spec.vod_loop_time) : "";
  info["vod_refresh_type"] = is_vod ? task::to_string(spec.vod_refresh_type) : "";
  info["vod_start_video_index"] = is_vod ? spec.vod_start_video_index : 0;
  info["vod_start_video_time"] = is_vod ? spec.vod_start_video_time : 0;
  return info;
}

}  // namespace streamrelay::api
