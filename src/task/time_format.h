#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace streamrelay::task {

// Unix seconds <-> the contract's one time form, "2006-01-02T15:04:05Z" (UTC).
std::optional<int64_t> parse_utc(std::string_view text);
std::string format_utc(int64_t unix_seconds);

}  // namespace streamrelay::task
