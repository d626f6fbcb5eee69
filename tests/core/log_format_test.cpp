#include "anvil/core/log_format.h"

#include <gtest/gtest.h>

#include <cmath>

#include "anvil/core/json.h"

namespace anvil::core::log {
namespace {

Record record(Level level, std::string message, std::vector<Field> fields = {}) {
  // 2026-11-29T06:30:00.123Z
  auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795933800123));
  return Record{t, level, std::move(message), std::move(fields)};
}

TEST(LogFormatTest, TextLine) {
  EXPECT_EQ(format_text(record(Level::kInfo, "ingested 3 files")),
            "2026-11-29T06:30:00.123Z INFO  ingested 3 files");
  EXPECT_EQ(format_text(record(Level::kError, "boom")), "2026-11-29T06:30:00.123Z ERROR boom");
  EXPECT_EQ(format_text(record(Level::kWarn, "w")), "2026-11-29T06:30:00.123Z WARN  w");
  EXPECT_EQ(format_text(record(Level::kTrace, "t")), "2026-11-29T06:30:00.123Z TRACE t");
  EXPECT_EQ(format_text(record(Level::kDebug, "d")), "2026-11-29T06:30:00.123Z DEBUG d");
}

TEST(LogFormatTest, TextFieldsAreLogfmt) {
  std::vector<Field> fields{{"collection", "手册"},
                            {"path", "a b.txt"},
                            {"empty", ""},
                            {"quote", "say \"hi\""},
                            {"eq", "a=b"},
                            {"n", 3},
                            {"big", std::uint64_t{18446744073709551615u}},
                            {"ratio", 0.25},
                            {"ok", true},
                            {"bad key", 1}};
  EXPECT_EQ(format_text(record(Level::kInfo, "done", fields)),
            "2026-11-29T06:30:00.123Z INFO  done collection=手册 path=\"a b.txt\" empty=\"\" "
            "quote=\"say \\\"hi\\\"\" eq=\"a=b\" n=3 big=18446744073709551615 ratio=0.25 ok=true "
            "bad_key=1");
}

TEST(LogFormatTest, TextRecordStaysOnOneLine) {
  EXPECT_EQ(format_text(record(Level::kInfo, "line1\nline2\ttab\x1b[31m", {{"v", "a\nb"}})),
            "2026-11-29T06:30:00.123Z INFO  line1\\nline2\\ttab\\u001B[31m v=\"a\\nb\"");
}

TEST(LogFormatTest, JsonLine) {
  std::vector<Field> fields{{"collection", "手册"}, {"files", 3}, {"ratio", 0.5}, {"dry_run", false}};
  EXPECT_EQ(format_json(record(Level::kInfo, "ingested \"3\" files", fields)),
            "{\"ts\":\"2026-11-29T06:30:00.123Z\",\"level\":\"info\",\"msg\":\"ingested \\\"3\\\" "
            "files\",\"collection\":\"手册\",\"files\":3,\"ratio\":0.5,\"dry_run\":false}");
}

TEST(LogFormatTest, JsonEscapingAndOddValues) {
  std::vector<Field> fields{{"ts", "mine"},
                            {"nan", std::nan("")},
                            {"inf", 1.0 / 0.0},
                            {"ctl", std::string("a\x01" "b\\c\n", 6)},
                            {"bad_utf8", std::string("ok\xff\xc3(", 5)}};
  std::string line = format_json(record(Level::kWarn, "tab\there", fields));
  EXPECT_EQ(line,
            "{\"ts\":\"2026-11-29T06:30:00.123Z\",\"level\":\"warn\",\"msg\":\"tab\\there\","
            "\"_ts\":\"mine\",\"nan\":null,\"inf\":null,\"ctl\":\"a\\u0001b\\\\c\\n\","
            "\"bad_utf8\":\"ok\xEF\xBF\xBD\xEF\xBF\xBD(\"}");
  // Whatever goes in, the line is valid JSON.
  Result<boost::json::value> parsed = parse_json(line);
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->at("ctl").as_string(), "a\x01" "b\\c\n");
}

TEST(LogFormatTest, FormatRecordChoosesTheFormat) {
  Record r = record(Level::kInfo, "m");
  EXPECT_EQ(format_record(r, Format::kText), format_text(r));
  EXPECT_EQ(format_record(r, Format::kJson), format_json(r));
}

TEST(LogFormatTest, ParsesLevelsAndFormats) {
  EXPECT_EQ(*parse_level("DEBUG"), Level::kDebug);
  EXPECT_EQ(*parse_level("warning"), Level::kWarn);
  EXPECT_EQ(*parse_level("off"), Level::kOff);
  EXPECT_EQ(parse_level("loud").status().message(),
            "expected a log level (trace, debug, info, warn, error, off), found 'loud'");
  EXPECT_EQ(*parse_format("json"), Format::kJson);
  EXPECT_EQ(parse_format("xml").status().message(),
            "expected a log format (text, json), found 'xml'");
  EXPECT_EQ(level_name(Level::kError), "error");
}

}  // namespace
}  // namespace anvil::core::log
