#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamrelay::api {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// "/a/b?x=1" -> {"/a/b", "x=1"}.
std::pair<std::string, std::string> split_target(std::string_view target);
// "/v1/p/x/" -> {"v1", "p", "x"} (percent-decoded; one trailing slash tolerated).
std::vector<std::string> split_path(std::string_view path);
// Percent-decoded pairs, in order ("+" is a space).
QueryParams parse_query(std::string_view query);
// The first value of a key.
std::optional<std::string> query_value(const QueryParams& params, std::string_view key);
std::string percent_decode(std::string_view text, bool plus_is_space);

}  // namespace streamrelay::api
