#pragma once

#include <string>
#include <vector>

namespace streamrelay::cli {

// Rows under a header, each column as wide as its widest cell, for people to read.
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// "12345678-...-abcd" cut to `width` characters with an ellipsis.
std::string shorten(const std::string& text, size_t width);

}  // namespace streamrelay::cli
