#include <gtest/gtest.h>

#include "task/time_format.h"

using streamrelay::task::format_utc;
using streamrelay::task::parse_utc;

TEST(TimeFormat, ParsesTheContractForm) {
  EXPECT_EQ(parse_utc("2006-01-02T15:04:05Z"), 1136214245);
  EXPECT_EQ(parse_utc("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_utc("2024-02-29T23:59:59Z"), 1709251199);
}

TEST(TimeFormat, RejectsEveryOtherForm) {
  for (const char* text :
       {"2006-01-02 15:04:05Z", "2006-01-02T15:04:05", "2006-01-02T15:04:05+08:00",
        "2006-01-02T15:04:05.000Z", "2006-1-2T15:04:05Z", "2006-01-02t15:04:05z",
        "2023-02-29T00:00:00Z", "2006-13-02T15:04:05Z", "2006-01-02T24:00:00Z",
        "2006-01-02T15:60:05Z", "", "abcd-ef-ghTij:kl:mnZ"}) {
    EXPECT_FALSE(parse_utc(text).has_value()) << text;
  }
}

TEST(TimeFormat, FormatsWhatItParses) {
  EXPECT_EQ(format_utc(1136214245), "2006-01-02T15:04:05Z");
  EXPECT_EQ(format_utc(*parse_utc("2031-12-31T23:59:59Z")), "2031-12-31T23:59:59Z");
}
