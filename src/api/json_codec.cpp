#include "api/json_codec.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
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

// Answers with many tasks are streamed into their body: building a tree of them first cost most
// of a list request in small allocations.
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_text(Writer& out, std::string_view text) {
  out.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void write_texts(Writer& out, const std::vector<std::string>& texts) {
  out.StartArray();
  for (const std::string& text : texts) write_text(out, text);
  out.EndArray();
}

void write_time_or_null(Writer& out, int64_t unix_seconds) {
  if (unix_seconds > 0) {
    write_text(out, task::format_utc(unix_seconds));
  } else {
    out.Null();
  }
}

void field(Writer& out, const char* name, std::string_view text) {
  out.Key(name);
  write_text(out, text);
}

void field(Writer& out, const char* name, int64_t number) {
  out.Key(name);
  out.Int64(number);
}

void field(Writer& out, const char* name, const std::vector<std::string>& texts) {
  out.Key(name);
  write_texts(out, texts);
}

// Fields in name order, as in every other answer.
void write_runtime(Writer& out, const task::TaskRecord& record) {
  const task::TaskRuntime& runtime = record.runtime;
  out.StartObject();
  field(out, "bitrate_kbps", runtime.bitrate_kbps);
  field(out, "bytes_in", runtime.bytes_in);
  field(out, "bytes_out", runtime.bytes_out);
  field(out, "file_index", runtime.file_index);
  out.Key("file_offset_seconds");
  if (std::isfinite(runtime.file_offset_seconds)) {
    out.Double(runtime.file_offset_seconds);
  } else {
    out.Null();
  }
  field(out, "last_error", runtime.last_error);
  // A playlist that finished its rounds has played them all, whether or not the last runtime
  // report has been written yet (the finish is recorded first).
  field(out, "looped_times",
        record.finish_reason == task::FinishReason::loop_finished
            ? std::max<int64_t>(runtime.looped_times, record.spec.vod_loop_time)
            : runtime.looped_times);
  field(out, "reconnects", runtime.reconnects);
  field(out, "source", runtime.source);
  field(out, "source_url", runtime.source_url);
  out.Key("started_at");
  write_time_or_null(out, runtime.started_at);
  out.Key("updated_at");
  write_time_or_null(out, runtime.updated_at);
  out.EndObject();
}

// A stored task as the contract's LivePullTaskInfo, fields in name order.
void write_task_info(Writer& out, const task::TaskRecord& record, int64_t now) {
  const task::TaskSpec& spec = record.spec;
  // Every create field is present; the VOD ones of a live task are empty.
  bool is_vod = spec.is_vod();
  out.StartObject();
  field(out, "app_name", spec.app_name);
  field(out, "backup_source_type",
        spec.backup_source_type ? task::to_string(*spec.backup_source_type) : "");
  field(out, "backup_source_urls", spec.backup_source_urls);
  field(out, "callback_events", spec.callback_events);
  field(out, "callback_url", spec.callback_url);
  field(out, "create_time", task::format_utc(spec.create_time));
  field(out, "destination_url", spec.destination_url);
  field(out, "domain", spec.domain);
  field(out, "end_time", task::format_utc(spec.end_time));
  field(out, "push_args", spec.push_args);
  field(out, "region", spec.region);
  out.Key("runtime");
  write_runtime(out, record);
  field(out, "source_type", task::to_string(spec.source_type));
  field(out, "source_urls", spec.source_urls);
  field(out, "start_time", task::format_utc(spec.start_time));
  field(out, "status", task::to_string(task::derive_status(record, now)));
  field(out, "stream_name", spec.stream_name);
  field(out, "task_id", spec.task_id);
  field(out, "vod_loop_time", is_vod ? std::to_string(spec.vod_loop_time) : "");
  field(out, "vod_refresh_type", is_vod ? task::to_string(spec.vod_refresh_type) : "");
  field(out, "vod_start_video_index", is_vod ? spec.vod_start_video_index : 0);
  field(out, "vod_start_video_time", is_vod ? spec.vod_start_video_time : 0);
  out.EndObject();
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

std::string task_list_body(const std::vector<task::TaskRecord>& records, int64_t total, int64_t now,
                           const std::string& request_id) {
  constexpr size_t kBytesPerTask = 1024;  // a typical task's size: one allocation for most pages
  rapidjson::StringBuffer buffer;
  buffer.Reserve(256 + records.size() * kBytesPerTask);
  Writer out(buffer);
  out.StartObject();
  field(out, "request_id", request_id);
  out.Key("task_infos");
  out.StartArray();
  for (const task::TaskRecord& record : records) write_task_info(out, record, now);
  out.EndArray();
  field(out, "total", total);
  out.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace streamrelay::api
