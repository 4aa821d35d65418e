#include "task/uuid.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using streamrelay::task::new_uuid;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The milliseconds a version 7 UUID carries in its first 48 bits.
int64_t time_of(const std::string& uuid) {
  return std::stoll(uuid.substr(0, 8) + uuid.substr(9, 4), nullptr, 16);
}

}  // namespace

TEST(Uuid, IsAVersion7UuidInItsTextForm) {
  const std::regex form("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 1000; ++i) {
    std::string uuid = new_uuid();
    ASSERT_TRUE(std::regex_match(uuid, form)) << uuid;
  }
}

TEST(Uuid, CarriesTheTimeItWasMade) {
  int64_t before = now_ms();
  std::string uuid = new_uuid();
  int64_t after = now_ms();
  EXPECT_GE(time_of(uuid), before) << uuid;
  EXPECT_LE(time_of(uuid), after) << uuid;
}

TEST(Uuid, GivenIdsMadeAMillisecondApart_ThenTheySortInTheOrderTheyWereMade) {
  std::vector<std::string> made;
  for (int i = 0; i < 50; ++i) {
    made.push_back(new_uuid());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(std::is_sorted(made.begin(), made.end()));
}

TEST(Uuid, IdsMadeInTheSameMillisecondAreStillUnique) {
  std::set<std::string> made;
  for (int i = 0; i < 100000; ++i) made.insert(new_uuid());
  EXPECT_EQ(made.size(), 100000u);
}
