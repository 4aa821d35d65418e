#include "task/validation.h"

#include <algorithm>
#include <charconv>

#include "task/text_rules.h"
#include "task/time_format.h"

namespace streamrelay::task {
namespace {

Status check_length(std::string_view field, std::string_view value, size_t min, size_t max) {
  size_t length = char_length(value);
  if (length < min || length > max) {
    if (min == 0)
      return invalid(std::string(field) + " must be at most " + std::to_string(max) +
                     " characters");
    return invalid(std::string(field) + " must be " + std::to_string(min) + " to " +
                   std::to_string(max) + " characters");
  }
  return ok_status();
}

// Characters that would hide or reorder what a log, the console or a terminal shows are refused
// in every text field.
Status check_visible(std::string_view field, std::string_view value) {
  if (has_hidden_characters(value)) {
    return invalid(std::string(field) +
                   " must not contain control or bidirectional-control characters");
  }
  return ok_status();
}

Status check_text(std::string_view field, std::string_view value, size_t max) {
  if (auto status = check_length(field, value, 0, max); !status) return status;
  if (auto status = check_visible(field, value); !status) return status;
  bool has_control = std::any_of(value.begin(), value.end(),
                                 [](unsigned char c) { return c < 0x20 || c == 0x7f || c == ' '; });
  if (has_control)
    return invalid(std::string(field) + " must not contain spaces or control characters");
  return ok_status();
}

Result<int64_t> parse_time_field(std::string_view field, std::string_view text) {
  auto value = parse_rfc3339(text);
  if (!value) {
    return invalid(std::string(field) +
                   " must be an RFC 3339 date-time such as 2006-01-02T15:04:05Z or "
                   "2006-01-02T23:04:05+08:00 (without a zone it is taken as UTC)");
  }
  return *value;
}

Result<int64_t> parse_loop_time(std::string_view text) {
  if (text.empty()) return int64_t{-1};
  if (text == "-1") return int64_t{-1};
  int64_t value = 0;
  bool is_digits =
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!is_digits || ec != std::errc() || end != text.data() + text.size() || value < 1 ||
      value > kMaxInt32) {
    return invalid("vod_loop_time must be \"-1\" or a whole number from 1 to 2147483647");
  }
  return value;
}

// A URL whose host is an IP address the egress policy refuses is known bad at once; a name is
// checked again on the address it resolves to when the connection is made.
std::optional<std::string> egress_refusal(std::string_view url, const net::EgressPolicy& policy) {
  auto parsed = parse_url(url);
  if (!parsed || parsed->scheme == "file") return std::nullopt;
  auto kind = net::classify_literal(parsed->host);
  if (!kind) return std::nullopt;
  return net::refusal_of(policy, *kind);
}

Status check_url_list(std::string_view field, const std::vector<std::string>& urls,
                      const ValidationContext& context) {
  for (size_t i = 0; i < urls.size(); ++i) {
    std::string name = std::string(field) + "[" + std::to_string(i) + "] ";
    if (auto s = check_visible(name.substr(0, name.size() - 1), urls[i]); !s) return s;
    if (auto rule = check_source_url(urls[i], context.media_roots)) return invalid(name + *rule);
    if (auto refusal = egress_refusal(urls[i], context.egress)) return invalid(name + *refusal);
  }
  return ok_status();
}

Status check_source_urls(const TaskSpec& spec, const ValidationContext& context) {
  size_t count = spec.source_urls.size();
  if (spec.source_type == SourceType::live && count != 1) {
    return invalid("source_urls must hold exactly 1 URL for PullLivePushLive");
  }
  if (spec.source_type == SourceType::vod && (count < 1 || count > kMaxVodUrls)) {
    return invalid("source_urls must hold 1 to 30 URLs for PullVodPushLive");
  }
  return check_url_list("source_urls", spec.source_urls, context);
}

Status check_destination(const TaskSpec& spec, const ValidationContext& context) {
  if (auto s = check_length("domain", spec.domain, 0, 255); !s) return s;
  if (auto s = check_visible("domain", spec.domain); !s) return s;
  if (auto s = check_text("app_name", spec.app_name, 128); !s) return s;
  if (auto s = check_text("stream_name", spec.stream_name, 512); !s) return s;
  if (auto s = check_text("push_args", spec.push_args, 2048); !s) return s;
  if (auto s = check_length("destination_url", spec.destination_url, 0, 2048); !s) return s;
  if (auto s = check_visible("destination_url", spec.destination_url); !s) return s;
  if (!spec.destination_url.empty()) {
    if (!spec.domain.empty() || !spec.app_name.empty() || !spec.stream_name.empty()) {
      return invalid(
          "destination_url must not be combined with a non-empty domain, app_name or stream_name");
    }
    if (auto rule = check_destination_url(spec.destination_url)) {
      return invalid("destination_url " + *rule);
    }
  } else {
    if (spec.domain.empty() || spec.app_name.empty() || spec.stream_name.empty()) {
      return invalid(
          "destination_url is required unless domain, app_name and stream_name are all given");
    }
    if (auto rule = check_domain(spec.domain)) return invalid("domain " + *rule);
  }
  if (!spec.push_args.empty() && spec.push_args.front() == '?') {
    return invalid("push_args must not start with '?': it is appended after one");
  }
  if (auto refusal = egress_refusal(destination_of(spec), context.egress)) {
    const char* field = spec.destination_url.empty() ? "domain " : "destination_url ";
    return invalid(field + *refusal);
  }
  return ok_status();
}

Status check_window(const TaskSpec& spec, const ValidationContext& context) {
  if (spec.start_time >= spec.end_time) return invalid("start_time must be before end_time");
  if (spec.end_time - spec.start_time > kMaxWindowSeconds) {
    return invalid("end_time must be at most 7 days after start_time");
  }
  if (spec.end_time <= context.now) return invalid("end_time must be in the future");
  return ok_status();
}

Status check_vod_fields(const TaskSpec& spec) {
  if (!spec.is_vod()) return ok_status();
  int64_t last_index = static_cast<int64_t>(spec.source_urls.size()) - 1;
  if (spec.vod_start_video_index < 0 || spec.vod_start_video_index > last_index) {
    return invalid("vod_start_video_index must be between 0 and len(source_urls)-1 (" +
                   std::to_string(last_index) + ")");
  }
  if (spec.vod_start_video_time < 0 || spec.vod_start_video_time > kMaxInt32) {
    return invalid("vod_start_video_time must be between 0 and 2147483647");
  }
  if (spec.vod_loop_time != -1 && (spec.vod_loop_time < 1 || spec.vod_loop_time > kMaxInt32)) {
    return invalid("vod_loop_time must be \"-1\" or a whole number from 1 to 2147483647");
  }
  return ok_status();
}

Status check_backup(const TaskSpec& spec, const ValidationContext& context) {
  if (spec.backup_source_urls.size() > kMaxBackupUrls) {
    return invalid("backup_source_urls must hold at most 30 URLs");
  }
  return check_url_list("backup_source_urls", spec.backup_source_urls, context);
}

Status check_callbacks(const TaskSpec& spec, const ValidationContext& context) {
  for (size_t i = 0; i < spec.callback_events.size(); ++i) {
    if (!is_callback_event(spec.callback_events[i])) {
      return invalid("callback_events[" + std::to_string(i) +
                     "] must be one of TaskStart, TaskExit, VodSourceFileStart, "
                     "VodSourceFileFinish, ResetTaskConfig, TaskAlarm");
    }
  }
  if (!spec.callback_url.empty()) {
    if (auto s = check_visible("callback_url", spec.callback_url); !s) return s;
    if (auto rule = check_callback_url(spec.callback_url)) return invalid("callback_url " + *rule);
    if (auto refusal = egress_refusal(with_default_scheme(spec.callback_url), context.egress)) {
      return invalid("callback_url " + *refusal);
    }
  }
  return ok_status();
}

Status check_region_form(std::string_view region) {
  if (!is_valid_identifier(region)) {
    return invalid(
        "region must be 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or a "
        "digit, without '..'");
  }
  return ok_status();
}

Status check_region(const std::string& region, const ValidationContext& context) {
  if (auto s = check_region_form(region); !s) return s;
  if (!context.served_regions.empty() &&
      std::find(context.served_regions.begin(), context.served_regions.end(), region) ==
          context.served_regions.end()) {
    return invalid("region '" + region + "' is not served by this deployment");
  }
  return ok_status();
}

// Rejects VOD-only fields on a live task: they would silently do nothing.
template <typename Request>
Status check_vod_only_absent(const Request& request, SourceType type) {
  if (type != SourceType::live) return ok_status();
  const char* field = request.vod_loop_time           ? "vod_loop_time"
                      : request.vod_refresh_type      ? "vod_refresh_type"
                      : request.vod_start_video_index ? "vod_start_video_index"
                      : request.vod_start_video_time  ? "vod_start_video_time"
                                                      : nullptr;
  if (field) return invalid(std::string(field) + " is only allowed for PullVodPushLive tasks");
  return ok_status();
}

// Copies the VOD and callback fields both create and modify carry; checks their forms.
template <typename Request>
Status apply_common_fields(const Request& request, TaskSpec& spec) {
  if (request.vod_loop_time) {
    auto loops = parse_loop_time(*request.vod_loop_time);
    if (!loops) return loops.error();
    spec.vod_loop_time = *loops;
  }
  if (request.vod_refresh_type) {
    auto type = request.vod_refresh_type->empty()
                    ? std::optional(VodRefreshType::immediate_new_source)
                    : parse_vod_refresh_type(*request.vod_refresh_type);
    if (!type) {
      return invalid(
          "vod_refresh_type must be immediate_new_source, continue_from_file_start or "
          "continue_from_break_point");
    }
    spec.vod_refresh_type = *type;
  }
  if (request.vod_start_video_index) spec.vod_start_video_index = *request.vod_start_video_index;
  if (request.vod_start_video_time) spec.vod_start_video_time = *request.vod_start_video_time;
  if (request.backup_source_type) {
    if (request.backup_source_type->empty()) {
      spec.backup_source_type.reset();
    } else {
      auto type = parse_source_type(*request.backup_source_type);
      if (!type) return invalid("backup_source_type must be PullLivePushLive or PullVodPushLive");
      spec.backup_source_type = type;
    }
  }
  if (request.backup_source_urls) spec.backup_source_urls = *request.backup_source_urls;
  if (!spec.backup_source_urls.empty() && !spec.backup_source_type) {
    spec.backup_source_type = spec.source_type;
  }
  if (request.callback_events) {
    std::vector<std::string> events;
    for (const auto& event : *request.callback_events) {
      if (std::find(events.begin(), events.end(), event) == events.end()) events.push_back(event);
    }
    spec.callback_events = std::move(events);
  }
  if (request.callback_url) spec.callback_url = *request.callback_url;
  return ok_status();
}

}  // namespace

Status check_spec(const TaskSpec& spec, const ValidationContext& context) {
  if (auto s = check_region(spec.region, context); !s) return s;
  if (auto s = check_source_urls(spec, context); !s) return s;
  if (auto s = check_destination(spec, context); !s) return s;
  if (auto s = check_window(spec, context); !s) return s;
  if (auto s = check_vod_fields(spec); !s) return s;
  if (auto s = check_backup(spec, context); !s) return s;
  return check_callbacks(spec, context);
}

Result<TaskSpec> build_spec(const CreateRequest& request, const ValidationContext& context) {
  TaskSpec spec;
  spec.region = request.region.value_or(context.default_region);
  if (auto s = check_region(spec.region, context); !s) return s.error();
  if (!request.source_type) return invalid("source_type is required");
  auto type = parse_source_type(*request.source_type);
  if (!type) return invalid("source_type must be PullLivePushLive or PullVodPushLive");
  spec.source_type = *type;
  if (!request.source_urls) return invalid("source_urls is required");
  spec.source_urls = *request.source_urls;
  if (auto s = check_source_urls(spec, context); !s) return s.error();
  spec.domain = request.domain.value_or("");
  spec.app_name = request.app_name.value_or("");
  spec.stream_name = request.stream_name.value_or("");
  spec.push_args = request.push_args.value_or("");
  spec.destination_url = request.destination_url.value_or("");
  if (auto s = check_destination(spec, context); !s) return s.error();

  spec.start_time = context.now;
  if (request.start_time) {
    auto start = parse_time_field("start_time", *request.start_time);
    if (!start) return start.error();
    spec.start_time = *start;
  }
  spec.end_time = spec.start_time + kMaxWindowSeconds;
  if (request.end_time) {
    auto end = parse_time_field("end_time", *request.end_time);
    if (!end) return end.error();
    spec.end_time = *end;
  }
  if (auto s = check_window(spec, context); !s) return s.error();
  if (auto s = check_vod_only_absent(request, spec.source_type); !s) return s.error();
  if (auto s = apply_common_fields(request, spec); !s) return s.error();
  if (auto s = check_spec(spec, context); !s) return s.error();
  return spec;
}

Result<TaskSpec> apply_modify(const TaskSpec& current, const ModifyRequest& request,
                              const ValidationContext& context) {
  TaskSpec spec = current;
  if (request.source_type && *request.source_type != to_string(current.source_type)) {
    return invalid("source_type cannot be changed by a modify");
  }
  auto differs = [](const std::optional<std::string>& sent, const std::string& stored) {
    return sent && *sent != stored;
  };
  if (differs(request.destination_url, current.destination_url) ||
      differs(request.domain, current.domain) || differs(request.app_name, current.app_name) ||
      differs(request.stream_name, current.stream_name) ||
      differs(request.push_args, current.push_args)) {
    return invalid(
        "the destination (destination_url, domain, app_name, stream_name, push_args) cannot be "
        "changed by a modify");
  }
  if (request.status) {
    if (*request.status == "pause") {
      spec.is_paused = true;
    } else if (*request.status == "enable") {
      spec.is_paused = false;
    } else {
      return invalid("status must be pause or enable");
    }
  }
  if (request.source_urls) {
    spec.source_urls = *request.source_urls;
    if (auto s = check_source_urls(spec, context); !s) return s.error();
  }
  if (request.start_time) {
    auto start = parse_time_field("start_time", *request.start_time);
    if (!start) return start.error();
    spec.start_time = *start;
  }
  if (request.end_time) {
    auto end = parse_time_field("end_time", *request.end_time);
    if (!end) return end.error();
    spec.end_time = *end;
  }
  if (auto s = check_vod_only_absent(request, spec.source_type); !s) return s.error();
  if (auto s = apply_common_fields(request, spec); !s) return s.error();
  if (auto s = check_spec(spec, context); !s) return s.error();
  return spec;
}

Result<ListQuery> parse_list_query(const ListRequest& request) {
  ListQuery query;
  auto parse_number = [](const std::string& text, int64_t min, int64_t max, int64_t& out) {
    if (text.empty() || text.size() > 10 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    int64_t value = std::stoll(text);
    if (value < min || value > max) return false;
    out = value;
    return true;
  };
  if (request.offset && !parse_number(*request.offset, 0, kMaxInt32, query.offset)) {
    return invalid("offset must be a whole number from 0 to 2147483647");
  }
  if (request.limit && !parse_number(*request.limit, 1, 100, query.limit)) {
    return invalid("limit must be a whole number from 1 to 100");
  }
  if (request.region) {
    if (auto s = check_region_form(*request.region); !s) return s.error();
    query.region = request.region;
  }
  if (request.task_id) {
    if (auto s = check_length("task_id", *request.task_id, 1, 64); !s) return s.error();
    if (auto s = check_visible("task_id", *request.task_id); !s) return s.error();
    query.task_id = request.task_id;
  }
  return query;
}

std::vector<std::string> changed_fields(const TaskSpec& before, const TaskSpec& after) {
  std::vector<std::string> fields;
  auto note = [&](bool changed, const char* name) {
    if (changed) fields.emplace_back(name);
  };
  note(before.is_paused != after.is_paused, "status");
  note(before.source_urls != after.source_urls, "source_urls");
  note(before.start_time != after.start_time, "start_time");
  note(before.end_time != after.end_time, "end_time");
  note(before.vod_loop_time != after.vod_loop_time, "vod_loop_time");
  note(before.vod_refresh_type != after.vod_refresh_type, "vod_refresh_type");
  note(before.vod_start_video_index != after.vod_start_video_index, "vod_start_video_index");
  note(before.vod_start_video_time != after.vod_start_video_time, "vod_start_video_time");
  note(before.backup_source_type != after.backup_source_type, "backup_source_type");
  note(before.backup_source_urls != after.backup_source_urls, "backup_source_urls");
  note(before.callback_events != after.callback_events, "callback_events");
  note(before.callback_url != after.callback_url, "callback_url");
  return fields;
}

}  // namespace streamrelay::task
