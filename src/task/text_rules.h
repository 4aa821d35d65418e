#pragma once

#include <string_view>

namespace streamrelay::task {

// True when `text` holds characters that hide or reorder what a reader of a log, a console or a
// terminal sees: control characters (C0, DEL, C1), bidirectional controls (U+061C, U+200E,
// U+200F, U+202A..U+202E, U+2066..U+2069), line and paragraph separators, or bytes that are not
// UTF-8.
bool has_hidden_characters(std::string_view text);

// Project ids and regions: 1 to 64 ASCII letters, digits, '-', '_' or '.', starting with a letter
// or a digit and without "..", so they are safe in paths, logs and metric labels.
bool is_valid_identifier(std::string_view text);

}  // namespace streamrelay::task
