#include "cli/table.h"

#include <algorithm>

namespace streamrelay::cli {
namespace {

// Columns are measured in code points so non-ASCII names line up.
size_t display_width(const std::string& text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  auto measure = [&widths](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  std::string out;
  auto append = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < widths.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : "";
      line += cell;
      if (i + 1 < widths.size()) line += std::string(widths[i] - display_width(cell) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  append(header);
  for (const auto& row : rows) append(row);
  return out;
}

std::string shorten(const std::string& text, size_t width) {
  if (display_width(text) <= width || width < 2) return text;
  std::string out;
  size_t count = 0;
  for (char c : text) {
    bool starts_char = (c & 0xC0) != 0x80;
    if (starts_char && ++count > width - 1) break;
    out += c;
  }
  return out + "…";
}

}  // namespace streamrelay::cli
