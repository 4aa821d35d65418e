#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "api/connection_limits.h"

using namespace streamrelay::api;
using Admission = ConnectionCounter::Admission;

TEST(ConnectionCounter, AnAddressAtItsCapIsRefusedWhileOtherAddressesAreAdmitted) {
  ConnectionCounter counter(2, 100);
  EXPECT_EQ(counter.admit("10.0.0.1"), Admission::admitted);
  EXPECT_EQ(counter.admit("10.0.0.1"), Admission::admitted);
  EXPECT_EQ(counter.admit("10.0.0.1"), Admission::client_at_cap);
  EXPECT_EQ(counter.admit("10.0.0.2"), Admission::admitted);
  EXPECT_EQ(counter.open_connections(), 3u);
}

TEST(ConnectionCounter, AClosedConnectionGivesItsPlaceBack) {
  auto counter = std::make_shared<ConnectionCounter>(1, 100);
  ASSERT_EQ(counter->admit("10.0.0.1"), Admission::admitted);
  { ConnectionSlot slot(counter, "10.0.0.1"); }
  EXPECT_EQ(counter->open_connections(), 0u);
  EXPECT_EQ(counter->admit("10.0.0.1"), Admission::admitted);
}

TEST(ConnectionCounter, TheServerCapCountsEveryAddress) {
  ConnectionCounter counter(10, 2);
  EXPECT_EQ(counter.admit("10.0.0.1"), Admission::admitted);
  EXPECT_EQ(counter.admit("10.0.0.2"), Admission::admitted);
  EXPECT_EQ(counter.admit("10.0.0.3"), Admission::server_at_cap);
}

TEST(PendingRequestBudget, ABodyBeyondWhatIsLeftIsRefusedUntilAnotherIsDone) {
  auto budget = std::make_shared<PendingRequestBudget>(100);
  {
    auto first = reserve_from(budget, 60);
    ASSERT_TRUE(first);
    EXPECT_FALSE(reserve_from(budget, 50));
    EXPECT_TRUE(reserve_from(budget, 0));
  }
  EXPECT_EQ(budget->reserved_bytes(), 0u);
  EXPECT_TRUE(reserve_from(budget, 100));
}

TEST(WarningThrottle, AKeyIsWarnedAboutOncePerInterval) {
  WarningThrottle throttle(std::chrono::seconds(10));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(throttle.should_warn("10.0.0.1", start));
  EXPECT_FALSE(throttle.should_warn("10.0.0.1", start + std::chrono::seconds(9)));
  EXPECT_TRUE(throttle.should_warn("10.0.0.2", start + std::chrono::seconds(9)));
  EXPECT_TRUE(throttle.should_warn("10.0.0.1", start + std::chrono::seconds(11)));
}
