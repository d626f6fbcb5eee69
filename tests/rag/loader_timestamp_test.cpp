#include "anvil/rag/loaders/timestamp.h"

#include <gtest/gtest.h>

namespace anvil::rag::loaders {
namespace {

std::string ts(std::string_view s) { return parse_timestamp(s).value_or("none"); }

TEST(Timestamp, AcceptedForms) {
  EXPECT_EQ(ts("2024-03-01"), "2024-03-01T00:00:00Z");
  EXPECT_EQ(ts(" 2024/3/5 "), "2024-03-05T00:00:00Z");
  EXPECT_EQ(ts("2024-03-01T08:00:00Z"), "2024-03-01T08:00:00Z");
  EXPECT_EQ(ts("2024-03-01 08:00"), "2024-03-01T08:00:00Z");
  EXPECT_EQ(ts("2024-03-01T08:00:00.123456Z"), "2024-03-01T08:00:00Z");
  EXPECT_EQ(ts("2024-03-01T08:00:00+08:00"), "2024-03-01T00:00:00Z");
  EXPECT_EQ(ts("2024-03-01T02:00:00-0530"), "2024-03-01T07:30:00Z");
  EXPECT_EQ(ts("2024-01-01T01:00+02"), "2023-12-31T23:00:00Z");
  EXPECT_EQ(ts("2024年3月5日"), "2024-03-05T00:00:00Z");
  EXPECT_EQ(ts("2024年12月31日 23:59:59"), "2024-12-31T23:59:59Z");
  EXPECT_EQ(ts("2024-02-29"), "2024-02-29T00:00:00Z");
}

TEST(Timestamp, RejectedForms) {
  for (const char* bad : {"", "yesterday", "2024", "2023-02-29", "2024-13-01", "2024-01-32", "2024-01-01T25:00",
                          "2024-01-01X08:00", "2024-01-01T08:00Zjunk", "01/02/2024", "3 hours"}) {
    EXPECT_EQ(ts(bad), "none") << bad;
  }
}

TEST(Timestamp, UnixSecondsAndMilliseconds) {
  EXPECT_EQ(timestamp_from_unix(0).value_or(""), "1970-01-01T00:00:00Z");
  EXPECT_EQ(timestamp_from_unix(1709280000).value_or(""), "2024-03-01T08:00:00Z");
  EXPECT_EQ(timestamp_from_unix(1709280000123.0).value_or(""), "2024-03-01T08:00:00Z");
  EXPECT_FALSE(timestamp_from_unix(-1).has_value());
  EXPECT_EQ(timestamp_from_json(boost::json::value(1709280000)).value_or(""), "2024-03-01T08:00:00Z");
  EXPECT_EQ(timestamp_from_json(boost::json::value("2024-03-01")).value_or(""), "2024-03-01T00:00:00Z");
  EXPECT_FALSE(timestamp_from_json(boost::json::value(true)).has_value());
}

}  // namespace
}  // namespace anvil::rag::loaders
