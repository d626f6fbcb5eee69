// Every file in examples/docs loads, and carries the text that examples/README.md's searches need.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/rag/chunker.h"
#include "anvil/text/estimated_token_counter.h"
#include "testing/loader_files.h"

namespace anvil::rag {
namespace {

using testing::LoadedDocument;
using testing::load_ok;

std::filesystem::path examples() { return anvil::testing::source_dir() / "examples" / "docs"; }

const LoadedDocument* find_source(const std::vector<LoadedDocument>& docs, const std::string& suffix) {
  for (const auto& d : docs) {
    if (d.info.source.ends_with(suffix)) return &d;
  }
  return nullptr;
}

TEST(Examples, EveryFileLoadsAndChunks) {
  const std::map<std::string, std::pair<std::string, size_t>> expected = {
      {"centrifugal_pump_p200_manual.md", {"markdown", 1}},
      {"air_compressor_sa37_manual_zh.md", {"markdown", 1}},
      {"maintenance_log.csv", {"csv", 30}},
      {"product_catalog.jsonl", {"jsonl", 20}},
      {"safety_bulletin_compressed_air.html", {"html", 1}},
      {"pump_compressor_quick_reference.pdf", {"pdf", 1}},
  };
  size_t seen = 0;
  const text::EstimatedTokenCounter counter;
  for (const auto& entry : std::filesystem::directory_iterator(examples())) {
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    auto it = expected.find(name);
    ASSERT_NE(it, expected.end()) << "an example file this test does not know";
    ++seen;
    EXPECT_EQ(detect_type(entry.path()).value_or(""), it->second.first);
    auto docs = load_ok(entry.path());
    EXPECT_EQ(docs.size(), it->second.second);
    for (const auto& d : docs) {
      EXPECT_EQ(d.info.type, it->second.first);
      auto chunks = chunk_sections(d.sections, {256, 32}, counter);
      ASSERT_TRUE(chunks.ok());
      EXPECT_FALSE(chunks->empty());
    }
  }
  EXPECT_EQ(seen, expected.size());
}

TEST(Examples, PumpManualSections) {
  auto docs = load_ok(examples() / "centrifugal_pump_p200_manual.md");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].info.title, "P-200 Centrifugal Pump Operation and Maintenance Manual");
  bool seal = false;
  for (const auto& s : docs[0].sections) {
    if (s.heading_path.size() == 3 && s.heading_path[2] == "Replacing the mechanical seal") {
      seal = true;
      EXPECT_EQ(s.heading_path[1], "Maintenance");
      EXPECT_NE(s.text.find("Replace the mechanical seal every 8,000 operating hours"), std::string::npos);
    }
  }
  EXPECT_TRUE(seal);
}

TEST(Examples, CompressorManualTroubleshooting) {
  auto docs = load_ok(examples() / "air_compressor_sa37_manual_zh.md");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].info.title, "SA-37 螺杆空压机使用维护手册");
  const std::string text = docs[0].text();
  EXPECT_NE(text.find("排气温度过高（超过 105 °C 停机） | 冷却器脏堵；环境温度过高；油位过低；温控阀故障"),
            std::string::npos);
}

TEST(Examples, MaintenanceLogRows) {
  auto docs = load_ok(examples() / "maintenance_log.csv");
  ASSERT_EQ(docs.size(), 30u);
  const auto* row = find_source(docs, "maintenance_log.csv#2");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->meta("technician"), "王建国");
  EXPECT_EQ(row->meta("downtime_hours"), "1.5E0");
  EXPECT_EQ(row->meta("timestamp"), "2024-01-12T00:00:00Z");
  EXPECT_NE(row->text().find("symptom: 排气温度 102 °C，接近停机值"), std::string::npos);
}

TEST(Examples, CatalogAnswersBatteryQuestions) {
  auto docs = load_ok(examples() / "product_catalog.jsonl");
  ASSERT_EQ(docs.size(), 20u);
  const auto* x5 = find_source(docs, "#PH-X5");
  ASSERT_NE(x5, nullptr);
  EXPECT_EQ(x5->info.title, "星耀 X5");
  EXPECT_EQ(x5->meta("price"), "2999");
  EXPECT_EQ(x5->meta("brand"), "星耀");
  // "星耀 X5 续航如何": the text carries battery life and the reviews about it.
  const std::string text = x5->text();
  EXPECT_NE(text.find("battery_life: 正常使用约 2 天"), std::string::npos);
  EXPECT_NE(text.find("续航非常强"), std::string::npos);
}

TEST(Examples, SafetyBulletinWithoutPageNoise) {
  auto docs = load_ok(examples() / "safety_bulletin_compressed_air.html");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].info.title, "Safety Bulletin SB-2024-07: Compressed Air Hazards / 压缩空气安全公告");
  const std::string text = docs[0].text();
  EXPECT_NE(text.find("严禁用压缩空气吹扫衣服或皮肤"), std::string::npos);
  EXPECT_NE(text.find("Air guns / 气枪 | Safety nozzle fitted / 已装安全喷嘴 | Monthly / 每月"), std::string::npos);
  for (const char* noise : {"dataLayer", "font-family", "All bulletins", "cookies", "forklift", "enable JavaScript",
                            "Template text", "中文首页"}) {
    EXPECT_EQ(text.find(noise), std::string::npos) << noise;
  }
}

}  // namespace
}  // namespace anvil::rag
