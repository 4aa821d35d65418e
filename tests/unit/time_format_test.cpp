#include <gtest/gtest.h>

#include "task/time_format.h"

using streamrelay::task::format_utc;
using streamrelay::task::parse_rfc3339;
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

TEST(TimeFormat, RequestsMaySendAnyRfc3339DateTime) {
  int64_t expected = 1136214245;  // 2006-01-02T15:04:05Z
  for (const char* text :
       {"2006-01-02T15:04:05Z", "2006-01-02T15:04:05+00:00", "2006-01-02T23:04:05+08:00",
        "2006-01-02T10:34:05-04:30", "2006-01-02T15:04:05.123456Z", "2006-01-02T15:04:05.9+00:00",
        "2006-01-02T15:04:05", "2006-01-02t15:04:05z", "2006-01-02 15:04:05Z",
        "2006-01-03T00:04:05+09:00"}) {
    EXPECT_EQ(parse_rfc3339(text), expected) << text;
  }
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60Z"), *parse_rfc3339("2017-01-01T00:00:00Z"));
}

TEST(TimeFormat, RequestsMayNotSendOtherForms) {
  for (const char* text :
       {"2006-01-02", "12/01/2026 09:00", "2006-01-02T15:04", "2006-01-02T15:04:05.",
        "2006-01-02T15:04:05+0800", "2006-01-02T15:04:05+24:00", "2006-01-02T15:04:05+08",
        "2006-01-02T15:04:05 UTC", "2006-02-30T15:04:05Z", "2006-01-02T15:61:05Z",
        "2006-01-02T15:04:05Zjunk", "1136214245", ""}) {
    EXPECT_FALSE(parse_rfc3339(text).has_value()) << text;
  }
}
