#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "testing/loader_files.h"

namespace anvil::rag {
namespace {

using testing::load_ok;

TEST(JsonlLoader, OneDocumentPerRecordWithTypedMetadata) {
  anvil::testing::TempDir dir;
  auto path = dir.write(
      "catalog.jsonl",
      R"({"id": "PH-X5", "name": "星耀 X5", "brand": "星耀", "price": 2999, "rating": 4.6, "in_stock": true, "created_at": "2024-03-01T16:00:00+08:00", "battery_life": "约 2 天", "reviews": [{"user": "小周", "text": "续航很强"}, "Great battery"], "tags": null}
{"_id": 17, "title": "Nimbus 7", "description": "Compact phone."}

{"text": "no id or title"}
)");
  auto docs = load_ok(path);
  ASSERT_EQ(docs.size(), 3u);
  const auto& a = docs[0];
  EXPECT_EQ(a.info.type, "jsonl");
  EXPECT_EQ(a.info.source, path.string() + "#PH-X5");
  EXPECT_EQ(a.info.title, "星耀 X5");
  EXPECT_EQ(a.text(),
            "星耀 X5\n\nbrand: 星耀\ncreated_at: 2024-03-01T16:00:00+08:00\nbattery_life: 约 2 天\n"
            "reviews:\n- user: 小周; text: 续航很强\n- Great battery");
  EXPECT_EQ(a.meta("price"), "2999");
  EXPECT_EQ(a.meta("rating"), "4.6E0");
  EXPECT_EQ(a.meta("in_stock"), "true");
  EXPECT_EQ(a.meta("timestamp"), "2024-03-01T08:00:00Z");
  EXPECT_EQ(a.meta("reviews"), R"([{"user":"小周","text":"续航很强"},"Great battery"])");
  EXPECT_EQ(a.meta("tags"), "<missing>");
  EXPECT_EQ(docs[1].info.source, path.string() + "#17");
  EXPECT_EQ(docs[1].text(), "Nimbus 7\n\nCompact phone.");
  EXPECT_EQ(docs[2].info.source, path.string() + "#3");  // the record number
  EXPECT_EQ(docs[2].text(), "no id or title");
}

TEST(JsonlLoader, BadRecordsNameTheLine) {
  testing::LoaderFiles files;
  const std::string jsonl =
      "{\"id\": 1, \"text\": \"ok\"}\n"
      "{\"id\": 2, \"text\": \"oops\",}\n"
      "[1, 2]\n"
      "{\"id\": 4, \"text\": \"fine\"}\n";
  EXPECT_EQ(files.error("bad.jsonl", jsonl), "bad.jsonl: line 2: invalid JSON at column 26: syntax error");
  std::vector<std::string> reported;
  auto docs = files.load("bad.jsonl", jsonl, files.skipping(reported));
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1].text(), "fine");
  EXPECT_EQ(reported, (std::vector<std::string>{"bad.jsonl: line 2: invalid JSON at column 26: syntax error",
                                                "bad.jsonl: line 3: expected a JSON object, found an array"}));
}

TEST(JsonlLoader, EncodingErrorsFailTheFileWhateverThePolicy) {
  testing::LoaderFiles files;
  LoaderOptions skip;
  skip.bad_records = BadRecordPolicy::kSkip;
  EXPECT_EQ(files.error("enc.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"\xB1\xC3\"}\n", skip),
            "enc.jsonl: invalid UTF-8 at byte 25 (line 2); expected UTF-8 text (convert legacy encodings such as "
            "GBK or Latin-1 first)");
}

TEST(BeirLoader, CorpusRecords) {
  anvil::testing::TempDir dir;
  auto path = dir.write("corpus.jsonl",
                        R"({"_id": "4983", "title": "White matter", "text": "Alterations of the architecture.", "metadata": {"year": 2002, "type": "abstract"}}
{"_id": "dev-0-0", "title": "", "text": "《战国无双3》是光荣开发的游戏。", "metadata": {}}
)");
  EXPECT_EQ(detect_type(path).value_or(""), "beir");
  auto docs = load_ok(path);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].info.type, "beir");
  EXPECT_EQ(docs[0].info.source, path.string() + "#4983");
  EXPECT_EQ(docs[0].info.title, "White matter");
  EXPECT_EQ(docs[0].text(), "White matter\n\nAlterations of the architecture.");
  EXPECT_EQ(docs[0].meta("year"), "2002");
  EXPECT_EQ(docs[0].meta("record_type"), "abstract");
  EXPECT_EQ(docs[0].meta("type"), "beir");
  EXPECT_EQ(docs[1].text(), "《战国无双3》是光荣开发的游戏。");
  EXPECT_EQ(docs[1].meta("title"), "<missing>");
}

TEST(BeirLoader, BadRecords) {
  testing::LoaderFiles files;
  LoaderOptions options;
  options.type = "beir";
  EXPECT_EQ(files.error("corpus.jsonl", "{\"_id\": \"1\", \"text\": \"a\"}\n{\"_id\": \"2\", \"text\": 5}\n", options),
            "corpus.jsonl: line 2: expected \"text\" (a string)");
}

TEST(BeirLoader, LoadsSciFactAndCmrc) {
  // The real BEIR corpora from the shared data: every record becomes a document.
  for (const auto& [name, count] : std::vector<std::pair<std::string, size_t>>{{"scifact", 5183}, {"cmrc2018-zh", 1104}}) {
    const auto path = anvil::testing::shared_dir() / "data" / "beir" / name / "corpus.jsonl";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not found: " << path;
    ASSERT_EQ(detect_type(path).value_or(""), "beir");
    auto docs = load_ok(path);
    EXPECT_EQ(docs.size(), count) << name;
    for (const auto& d : docs) {
      ASSERT_EQ(d.sections.size(), 1u);
      ASSERT_FALSE(d.sections[0].text.empty());
    }
  }
}

}  // namespace
}  // namespace anvil::rag
