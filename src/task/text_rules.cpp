#include "task/text_rules.h"

#include <cctype>
#include <cstdint>

namespace streamrelay::task {
namespace {

constexpr char32_t kInvalid = 0xFFFFFFFF;

// The code point starting at `text[at]` and the number of bytes it takes; kInvalid when the
// bytes are not UTF-8.
char32_t decode(std::string_view text, size_t at, size_t& length) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  if (lead < 0x80) {
    length = 1;
    return lead;
  }
  length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
  if (length == 0 || lead > 0xF4 || at + length > text.size()) {
    length = 1;
    return kInvalid;
  }
  char32_t point = lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) {
      length = 1;
      return kInvalid;
    }
    point = (point << 6) | (byte(at + i) & 0x3F);
  }
  return point;
}

bool is_hidden(char32_t point) {
  return point < 0x20 || (point >= 0x7F && point <= 0x9F) || point == 0x061C || point == 0x200E ||
         point == 0x200F || (point >= 0x202A && point <= 0x202E) ||
         (point >= 0x2066 && point <= 0x2069) || point == 0x2028 || point == 0x2029 ||
         point == kInvalid;
}

}  // namespace

bool has_hidden_characters(std::string_view text) {
  for (size_t at = 0; at < text.size();) {
    size_t length = 1;
    if (is_hidden(decode(text, at, length))) return true;
    at += length;
  }
  return false;
}

bool is_valid_identifier(std::string_view text) {
  if (text.empty() || text.size() > 64 || !std::isalnum(static_cast<unsigned char>(text[0]))) {
    return false;
  }
  if (text.find("..") != std::string_view::npos) return false;
  for (unsigned char c : text) {
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

}  // namespace streamrelay::task
