#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "testing/loader_files.h"

namespace anvil::rag {
namespace {

using testing::load_ok;

TEST(CsvLoader, OneDocumentPerRowWithDefaultMapping) {
  anvil::testing::TempDir dir;
  auto path = dir.write("log.csv",
                        "date,equipment_id,technician,symptom,action,downtime_hours,verified\r\n"
                        "2024-01-08,P-200-01,Mark Evans,Seal leaking,\"Replaced seal; checked \"\"alignment\"\"\",4.5,true\r\n"
                        "2024/1/12,SA-37-02,王建国,\"排气温度高\n接近停机值\",吹扫冷却器,2,false\r\n");
  auto docs = load_ok(path);
  ASSERT_EQ(docs.size(), 2u);
  const auto& a = docs[0];
  EXPECT_EQ(a.info.type, "csv");
  EXPECT_EQ(a.info.source, path.string() + "#1");
  EXPECT_EQ(a.info.title, "");
  EXPECT_EQ(a.text(),
            "date: 2024-01-08\nequipment_id: P-200-01\ntechnician: Mark Evans\nsymptom: Seal leaking\n"
            "action: Replaced seal; checked \"alignment\"");
  EXPECT_EQ(a.meta("timestamp"), "2024-01-08T00:00:00Z");
  EXPECT_EQ(a.meta("downtime_hours"), "4.5E0");
  EXPECT_EQ(a.meta("verified"), "true");
  EXPECT_EQ(a.meta("equipment_id"), "P-200-01");
  EXPECT_EQ(a.meta("source"), path.string() + "#1");
  const auto& b = docs[1];
  EXPECT_EQ(b.info.source, path.string() + "#2");
  EXPECT_EQ(b.meta("timestamp"), "2024-01-12T00:00:00Z");
  EXPECT_EQ(b.meta("downtime_hours"), "2");
  EXPECT_NE(b.text().find("symptom:\n排气温度高\n接近停机值"), std::string::npos) << b.text();
}

TEST(CsvLoader, ExplicitMapping) {
  anvil::testing::TempDir dir;
  auto path = dir.write("products.csv",
                        "sku,name,price,notes,review,when\n"
                        "A-1,Nimbus 7,699,internal,Battery lasts all day,1709280000\n");
  LoaderOptions options;
  options.fields.id_field = "sku";
  options.fields.title_field = "name";
  options.fields.timestamp_field = "when";
  options.fields.text_fields = {"review"};
  options.fields.metadata_fields = {"price", "name"};
  options.extra_metadata["shop"] = "online";
  auto docs = load_ok(path, options);
  ASSERT_EQ(docs.size(), 1u);
  const auto& d = docs[0];
  EXPECT_EQ(d.info.source, path.string() + "#A-1");
  EXPECT_EQ(d.info.title, "Nimbus 7");
  EXPECT_EQ(d.text(), "Nimbus 7\n\nBattery lasts all day");
  EXPECT_EQ(d.meta("timestamp"), "2024-03-01T08:00:00Z");
  EXPECT_EQ(d.meta("price"), "699");
  EXPECT_EQ(d.meta("name"), "Nimbus 7");
  EXPECT_EQ(d.meta("notes"), "<missing>");
  EXPECT_EQ(d.meta("shop"), "online");
  EXPECT_EQ(d.meta("title"), "Nimbus 7");
}

TEST(CsvLoader, TypingKeepsIdsAsStringsAndRenamesReservedColumns) {
  anvil::testing::TempDir dir;
  auto path = dir.write("t.csv",
                        "id,zip,count,ratio,big,type,flag,note\n"
                        "7,007,-12,1e3,123456789012345678901,widget,FALSE,  padded  \n");
  auto docs = load_ok(path);
  const auto& d = docs[0];
  EXPECT_EQ(d.info.source, path.string() + "#7");
  EXPECT_EQ(d.meta("zip"), "007");
  EXPECT_EQ(d.meta("count"), "-12");
  EXPECT_EQ(d.meta("ratio"), "1E3");
  EXPECT_EQ(d.meta("flag"), "false");
  EXPECT_EQ(d.meta("note"), "padded");
  EXPECT_EQ(d.meta("type"), "csv");
  EXPECT_EQ(d.meta("record_type"), "widget");
  // Text: the non-numeric fields except the id.
  EXPECT_EQ(d.text(), "zip: 007\ntype: widget\nnote: padded");
}

TEST(CsvLoader, TsvBlankLinesAndLongTextLeftOutOfMetadata) {
  anvil::testing::TempDir dir;
  const std::string long_text(300, 'x');
  auto path = dir.write("t.tsv", "title\tbody\n\nFirst\t" + long_text + "\n\n\nSecond\tshort\n");
  auto docs = load_ok(path);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].info.title, "First");
  EXPECT_EQ(docs[0].text(), "First\n\n" + long_text);
  EXPECT_EQ(docs[0].meta("body"), "<missing>");  // longer than max_metadata_string_bytes (256)
  EXPECT_EQ(docs[1].meta("body"), "short");
  EXPECT_EQ(docs[1].info.source, path.string() + "#2");
}

TEST(CsvLoader, MalformedRowsFailOrAreSkipped) {
  testing::LoaderFiles files;
  const std::string csv =
      "a,b\n"
      "1,one\n"
      "2,two,extra\n"
      "\"3\"x,three\n"
      "4,four\n";
  EXPECT_EQ(files.error("bad.csv", csv), "bad.csv: line 3: expected 2 fields (as in the header), found 3");

  std::vector<std::string> reported;
  auto docs = files.load("bad.csv", csv, files.skipping(reported));
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].text(), "one");
  EXPECT_EQ(docs[1].text(), "four");
  EXPECT_EQ(files.relative(docs[1].info.source), "bad.csv#4");
  EXPECT_EQ(reported, (std::vector<std::string>{
                          "bad.csv: line 3: expected 2 fields (as in the header), found 3",
                          "bad.csv: line 4: field 1: expected ',' or end of line after a closing quote, found 'x'",
                      }));
}

TEST(CsvLoader, FatalErrors) {
  testing::LoaderFiles files;
  LoaderOptions skip;
  skip.bad_records = BadRecordPolicy::kSkip;
  EXPECT_EQ(files.error("q.csv", "a,b\n1,\"never closed\n2,x\n", skip),
            "q.csv: line 2: unterminated quoted field: a '\"' in this record is never closed");
  EXPECT_EQ(files.error("h.csv", "a,b\n"), "h.csv: contains no text (a header row but no data rows)");
  LoaderOptions mapped;
  mapped.fields.timestamp_field = "when";
  EXPECT_EQ(files.error("t.csv", "when,text\nyesterday,x\n", mapped),
            "t.csv: line 2: field 'when': expected a date/time (ISO 8601, YYYY/MM/DD, YYYY年M月D日 or Unix "
            "seconds), found \"yesterday\"");
  LoaderOptions missing_id;
  missing_id.fields.id_field = "sku";
  EXPECT_EQ(files.error("t.csv", "when,text\nyesterday,x\n", missing_id), "t.csv: line 2: missing id field 'sku'");
  LoaderOptions small;
  small.max_record_bytes = 1000;
  EXPECT_EQ(files.error("long.csv", "a\n\"" + std::string(2000, 'x') + "\n", small),
            "long.csv: line 2: line longer than 1000 bytes (max_record_bytes)");
}

TEST(CsvLoader, AutoTimestampSkipsValuesThatAreNotTimes) {
  testing::LoaderFiles files;
  // "timestamp" holds no times here, so "date" (next in the default order) wins...
  auto docs = files.load("d.csv", "timestamp,date,note\nn/a,2024年3月5日 08:30,x\nn/a,,y\n");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].meta("timestamp"), "2024-03-05T08:30:00Z");
  // ...and without any time the file's modification time is used.
  EXPECT_EQ(docs[1].meta("timestamp").size(), 20u);
  EXPECT_NE(docs[1].meta("timestamp"), "2024-03-05T08:30:00Z");
}

}  // namespace
}  // namespace anvil::rag
