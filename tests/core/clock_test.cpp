#include "anvil/core/clock.h"

#include <gtest/gtest.h>

namespace anvil::core {
namespace {

std::int64_t parse_ok(std::string_view text, std::optional<int> offset = std::nullopt) {
  Result<std::int64_t> r = parse_timestamp(text, offset);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().to_string();
  return r.ok() ? *r : -1;
}

std::string parse_error(std::string_view text, std::optional<int> offset = std::nullopt) {
  Result<std::int64_t> r = parse_timestamp(text, offset);
  EXPECT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(ClockTest, ParsesDatesAsUtcMidnight) {
  EXPECT_EQ(parse_ok("1970-01-01"), 0);
  EXPECT_EQ(parse_ok("2024-03-01"), 1709251200);
  EXPECT_EQ(parse_ok("2000-02-29"), 951782400);  // leap year divisible by 400
}

TEST(ClockTest, ParsesDateTimesWithZoneAndOffsets) {
  EXPECT_EQ(parse_ok("2024-03-01T08:00:00Z"), 1709280000);
  EXPECT_EQ(parse_ok("2024-03-01t08:00:00z"), 1709280000);
  EXPECT_EQ(parse_ok("2024-03-01 08:00:00Z"), 1709280000);
  EXPECT_EQ(parse_ok("2024-03-01T08:00Z"), 1709280000);
  // Beijing time is UTC+8: 16:00 there is 08:00 UTC.
  EXPECT_EQ(parse_ok("2024-03-01T16:00:00+08:00"), 1709280000);
  EXPECT_EQ(parse_ok("2024-03-01T16:00:00+0800"), 1709280000);
  EXPECT_EQ(parse_ok("2024-03-01T16:00:00+08"), 1709280000);
  EXPECT_EQ(parse_ok("2024-03-01T03:30:00-04:30"), 1709280000);
  // An offset can move the instant to another UTC day.
  EXPECT_EQ(parse_ok("2024-03-01T02:00:00+08:00"), 1709229600);  // 2024-02-29T18:00:00Z
}

TEST(ClockTest, FractionalSecondsAreFloored) {
  EXPECT_EQ(parse_ok("2024-03-01T08:00:00.999Z"), 1709280000);
  EXPECT_EQ(parse_ok("2024-03-01T08:00:00,5+00:00"), 1709280000);
  EXPECT_EQ(parse_ok("1969-12-31T23:59:59.5Z"), -1);
}

TEST(ClockTest, AssumedOffsetAppliesOnlyWhenTheTextHasNone) {
  EXPECT_EQ(parse_ok("2024-03-01T16:00:00", 480), 1709280000);
  EXPECT_EQ(parse_ok("2024-03-01T08:00:00Z", 480), 1709280000);
  EXPECT_EQ(parse_ok("2024-03-01", 480), 1709251200 - 8 * 3600);
}

TEST(ClockTest, ErrorsQuoteTheTextAndSayWhatIsWrong) {
  EXPECT_EQ(parse_error("yesterday"),
            "invalid timestamp 'yesterday': expected a date YYYY-MM-DD, optionally followed by a "
            "time like T08:00:00Z");
  EXPECT_EQ(parse_error("2024-3-1"),
            "invalid timestamp '2024-3-1': expected a date YYYY-MM-DD, optionally followed by a "
            "time like T08:00:00Z");
  EXPECT_EQ(parse_error("2024-13-01"),
            "invalid timestamp '2024-13-01': month 13 is out of range (01-12)");
  EXPECT_EQ(parse_error("2023-02-29"),
            "invalid timestamp '2023-02-29': day 29 is out of range for 2023-02 (01-28)");
  EXPECT_EQ(parse_error("1900-02-29"),
            "invalid timestamp '1900-02-29': day 29 is out of range for 1900-02 (01-28)");
  EXPECT_EQ(parse_error("2024-03-01T08:00:00"),
            "invalid timestamp '2024-03-01T08:00:00': missing UTC offset (add 'Z' for UTC or an "
            "offset like '+08:00')");
  EXPECT_EQ(parse_error("2024-03-01T24:00:00Z"),
            "invalid timestamp '2024-03-01T24:00:00Z': hour 24 is out of range (00-23)");
  EXPECT_EQ(parse_error("2024-03-01T08:60:00Z"),
            "invalid timestamp '2024-03-01T08:60:00Z': minute 60 is out of range (00-59)");
  EXPECT_EQ(parse_error("2024-03-01T23:59:60Z"),
            "invalid timestamp '2024-03-01T23:59:60Z': second 60 is out of range (00-59)");
  EXPECT_EQ(parse_error("2024-03-01T08:00:00+24:00"),
            "invalid timestamp '2024-03-01T08:00:00+24:00': UTC offset hour 24 is out of range "
            "(00-23)");
  EXPECT_EQ(parse_error("2024-03-01T08:00:00 CST"),
            "invalid timestamp '2024-03-01T08:00:00 CST': expected 'Z' or a UTC offset like "
            "'+08:00' after the time");
  EXPECT_EQ(parse_error("2024-03-01T08:00:00Zabc"),
            "invalid timestamp '2024-03-01T08:00:00Zabc': unexpected 'abc' after the UTC offset");
  EXPECT_EQ(parse_error("2024-03-01/08:00"),
            "invalid timestamp '2024-03-01/08:00': unexpected '/08:00' after the date (expected "
            "'T' and a time)");
  EXPECT_EQ(parse_error("2024-03-01T8:00Z"),
            "invalid timestamp '2024-03-01T8:00Z': expected a time HH:MM or HH:MM:SS after the "
            "date");
  EXPECT_EQ(parse_error("2024-03-01T08:00:00.Z"),
            "invalid timestamp '2024-03-01T08:00:00.Z': expected digits after the decimal point "
            "of the seconds");
  EXPECT_EQ(parse_error(""),
            "invalid timestamp '': expected a date YYYY-MM-DD, optionally followed by a time like "
            "T08:00:00Z");
}

TEST(ClockTest, LongBadTextIsCutInTheMessage) {
  std::string text(200, 'x');
  EXPECT_EQ(parse_error(text), "invalid timestamp '" + std::string(80, 'x') +
                                   "...': expected a date YYYY-MM-DD, optionally followed by a "
                                   "time like T08:00:00Z");
}

TEST(ClockTest, Formats) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_timestamp(1709280000), "2024-03-01T08:00:00Z");
  EXPECT_EQ(format_timestamp(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_timestamp(1709280000, 480), "2024-03-01T16:00:00+08:00");
  EXPECT_EQ(format_timestamp(1709280000, -270), "2024-03-01T03:30:00-04:30");
  EXPECT_EQ(format_timestamp(1709280000, 0), "2024-03-01T08:00:00Z");
  EXPECT_EQ(format_date(1709280000), "2024-03-01");
  EXPECT_EQ(format_date(-1), "1969-12-31");
  auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1709280000123));
  EXPECT_EQ(format_timestamp_millis(t), "2024-03-01T08:00:00.123Z");
  auto before_epoch = std::chrono::system_clock::time_point(std::chrono::milliseconds(-1));
  EXPECT_EQ(format_timestamp_millis(before_epoch), "1969-12-31T23:59:59.999Z");
}

TEST(ClockTest, FormatAndParseRoundTrip) {
  for (std::int64_t t : {std::int64_t{0}, std::int64_t{951782400}, std::int64_t{1709280000},
                         std::int64_t{4102444799}, std::int64_t{-2208988800}}) {
    EXPECT_EQ(parse_ok(format_timestamp(t)), t);
    EXPECT_EQ(parse_ok(format_timestamp(t, 480)), t);
    EXPECT_EQ(parse_ok(format_timestamp(t, -600)), t);
  }
}

TEST(ClockTest, NowIsAfterThisCodeWasWritten) {
  EXPECT_GT(unix_now(), 1700000000);
}

}  // namespace
}  // namespace anvil::core

namespace anvil::core {
namespace {

TEST(ClockMicros, KeepsTheFractionOfASecond) {
  EXPECT_EQ(*parse_timestamp_micros("1970-01-01T00:00:00.25Z"), 250000);
  EXPECT_EQ(*parse_timestamp_micros("1970-01-01T00:00:00,000001Z"), 1);
  EXPECT_EQ(*parse_timestamp_micros("1970-01-01T00:00:00.1234569Z"), 123456);  // 7th digit dropped
  EXPECT_EQ(*parse_timestamp_micros("1969-12-31T23:59:59.5Z"), -500000);
  EXPECT_EQ(*parse_timestamp("1969-12-31T23:59:59.5Z"), -1);  // floored to the second
  EXPECT_EQ(*parse_timestamp_micros("1970-01-02", 0), 86400000000LL);
  EXPECT_FALSE(parse_timestamp_micros("1970-01-01T00:00:00.Z").ok());
}

TEST(ClockMicros, FormatsTheFractionOnlyWhenThereIsOne) {
  EXPECT_EQ(format_timestamp_micros(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_timestamp_micros(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_timestamp_micros(*parse_timestamp_micros("2024-02-29T13:14:15.5Z")),
            "2024-02-29T13:14:15.500000Z");
}

}  // namespace
}  // namespace anvil::core
