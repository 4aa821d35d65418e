#include "task/time_format.h"

#include <chrono>
#include <cstdio>

namespace streamrelay::task {
namespace {

bool read_digits(std::string_view text, size_t pos, size_t count, int& out) {
  out = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// "YYYY-MM-DD?HH:MM:SS" at the start of `text` (the separator checked by the caller) as unix
// seconds of that wall time in UTC; a leap second (:60) counts as the next minute's first.
std::optional<int64_t> parse_date_time(std::string_view text) {
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  int year, month, day, hour, minute, second;
  if (!read_digits(text, 0, 4, year) || !read_digits(text, 5, 2, month) ||
      !read_digits(text, 8, 2, day) || !read_digits(text, 11, 2, hour) ||
      !read_digits(text, 14, 2, minute) || !read_digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  using namespace std::chrono;
  year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                      std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  auto days = sys_days{date}.time_since_epoch();
  return duration_cast<seconds>(days).count() + hour * 3600 + minute * 60 + second;
}

// The offset east of UTC in seconds of "Z", "z", "+hh:mm" or "-hh:mm"; 0 for no zone at all.
std::optional<int64_t> parse_offset(std::string_view zone) {
  if (zone.empty() || zone == "Z" || zone == "z") return 0;
  int hours, minutes;
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' ||
      !read_digits(zone, 1, 2, hours) || !read_digits(zone, 4, 2, minutes) || hours > 23 ||
      minutes > 59) {
    return std::nullopt;
  }
  int64_t offset = hours * 3600 + minutes * 60;
  return zone[0] == '-' ? -offset : offset;
}

}  // namespace

std::optional<int64_t> parse_utc(std::string_view text) {
  // Exactly YYYY-MM-DDTHH:MM:SSZ, 20 characters.
  if (text.size() != 20 || text[10] != 'T' || text[19] != 'Z') return std::nullopt;
  return parse_date_time(text);
}

std::optional<int64_t> parse_rfc3339(std::string_view text) {
  if (text.size() < 19 || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) {
    return std::nullopt;
  }
  auto wall = parse_date_time(text);
  if (!wall) return std::nullopt;
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    size_t digits = 1;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 1) return std::nullopt;  // a point needs at least one digit
    rest.remove_prefix(digits);
  }
  auto offset = parse_offset(rest);
  if (!offset) return std::nullopt;
  return *wall - *offset;
}

std::string format_utc(int64_t unix_seconds) {
  using namespace std::chrono;
  sys_seconds tp{seconds{unix_seconds}};
  auto day_point = floor<days>(tp);
  year_month_day date{day_point};
  hh_mm_ss time{tp - day_point};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<long>(time.hours().count()), static_cast<long>(time.minutes().count()),
                static_cast<long>(time.seconds().count()));
  return buf;
}

}  // namespace streamrelay::task
