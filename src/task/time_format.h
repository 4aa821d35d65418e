#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace streamrelay::task {

// Unix seconds <-> the contract's one time form, "2006-01-02T15:04:05Z" (UTC).
std::optional<int64_t> parse_utc(std::string_view text);
std::string format_utc(int64_t unix_seconds);

// Unix seconds of an RFC 3339 date-time as requests may send it: "Z" or a "+hh:mm"/"-hh:mm"
// offset (converted to UTC), optional fractional seconds (truncated), and no zone at all taken
// as UTC (Python's isoformat() of a naive datetime); 'T', 't' or a space between date and time.
std::optional<int64_t> parse_rfc3339(std::string_view text);

}  // namespace streamrelay::task
