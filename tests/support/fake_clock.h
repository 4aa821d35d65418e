#pragma once

#include <cstdint>

#include "task/clock.h"
#include "task/time_format.h"

namespace streamrelay::test_support {

// A clock the test moves by hand; it starts at 2018-05-19T17:00:00Z.
class FakeClock final : public task::Clock {
 public:
  int64_t now = *task::parse_utc("2018-05-19T17:00:00Z");
  int64_t now_seconds() const override { return now; }
};

}  // namespace streamrelay::test_support
