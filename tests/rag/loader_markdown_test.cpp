#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "testing/loader_files.h"

namespace anvil::rag {
namespace {

using Path = std::vector<std::string>;

TEST(MarkdownLoader, SectionPerHeadingWithHeadingPaths) {
  testing::LoaderFiles files;
  auto docs = files.load("pump.md",
                          "# Pump P-200\n"
                          "Intro text.\n"
                          "## Maintenance\n"
                          "### Seals\n"
                          "Replace the seal\nevery 8,000 hours.\n\n"
                          "Use kit SK-200.\n"
                          "### Bearings\n"
                          "Grease them.\n"
                          "## Troubleshooting\n"
                          "| Symptom | Remedy |\n|---|---|\n| Leak | Replace seal |\n| Noise | Check &amp; align |\n");
  ASSERT_EQ(docs.size(), 1u);
  const auto& d = docs[0];
  EXPECT_EQ(d.info.type, "markdown");
  EXPECT_EQ(d.info.title, "Pump P-200");
  EXPECT_EQ(d.meta("title"), "Pump P-200");
  ASSERT_EQ(d.sections.size(), 4u);  // "Maintenance" has no body of its own
  EXPECT_EQ(d.sections[0].text, "Pump P-200\n\nIntro text.");
  EXPECT_EQ(d.sections[0].heading_path, (Path{"Pump P-200"}));
  EXPECT_EQ(d.sections[1].text, "Seals\n\nReplace the seal every 8,000 hours.\n\nUse kit SK-200.");
  EXPECT_EQ(d.sections[1].heading_path, (Path{"Pump P-200", "Maintenance", "Seals"}));
  EXPECT_EQ(d.sections[2].heading_path, (Path{"Pump P-200", "Maintenance", "Bearings"}));
  EXPECT_EQ(d.sections[3].text, "Troubleshooting\n\nSymptom | Remedy\nLeak | Replace seal\nNoise | Check & align");
  EXPECT_EQ(d.sections[3].heading_path, (Path{"Pump P-200", "Troubleshooting"}));
  for (const auto& s : d.sections) EXPECT_FALSE(s.continues_previous);
}

TEST(MarkdownLoader, ListsCodeAndInlineMarkup) {
  testing::LoaderFiles files;
  const std::string text = files.load("steps.md",
                                      "Steps:\n\n"
                                      "1. Open the **suction** valve.\n"
                                      "2. Prime the [pump](http://x).\n"
                                      "   - vent first\n"
                                      "3. Start.\n\n"
                                      "- bullet `code`\n\n"
                                      "```\nif (x)\n    y();\n```\n\n"
                                      "Line one  \nLine two\n\n"
                                      "<div>raw html</div>\n\n"
                                      "![seal diagram](seal.png) &copy; 2024 &#x6CF5;\n")[0].text();
  EXPECT_EQ(text,
            "Steps:\n\n"
            "1. Open the suction valve.\n"
            "2. Prime the pump.\n"
            "  - vent first\n"
            "3. Start.\n\n"
            "- bullet code\n\n"
            "if (x)\n    y();\n\n"
            "Line one\nLine two\n\n"
            "seal diagram © 2024 泵");
}

TEST(MarkdownLoader, ChineseWrappedLinesJoinWithoutSpaces) {
  testing::LoaderFiles files;
  auto docs = files.load("zh.md",
                         "# 空压机手册\n\n"
                         "空压机应安装在通风良好的机房内，\n环境温度为 2 至 40 °C。\n"
                         "Mixed English\nlines get a space.\n");
  EXPECT_EQ(docs[0].info.title, "空压机手册");
  EXPECT_EQ(docs[0].text(),
            "空压机手册\n\n空压机应安装在通风良好的机房内，环境温度为 2 至 40 °C。 Mixed English lines get a space.");
}

TEST(MarkdownLoader, FrontMatterGivesTheTitle) {
  testing::LoaderFiles files;
  auto docs = files.load("fm.md", "---\ntitle: \"Seal guide\"\nauthor: x\n---\n## Step one\nDo it.\n");
  EXPECT_EQ(docs[0].info.title, "Seal guide");
  EXPECT_EQ(docs[0].text(), "Step one\n\nDo it.");
  EXPECT_EQ(docs[0].sections[0].heading_path, (Path{"Step one"}));
}

TEST(MarkdownLoader, TextBeforeTheFirstHeadingHasNoPath) {
  testing::LoaderFiles files;
  auto docs = files.load("pre.md", "Preface.\n\n# Title\n\nBody.\n");
  ASSERT_EQ(docs[0].sections.size(), 2u);
  EXPECT_TRUE(docs[0].sections[0].heading_path.empty());
  EXPECT_EQ(docs[0].sections[1].heading_path, (Path{"Title"}));
}

TEST(MarkdownLoader, Errors) {
  testing::LoaderFiles files;
  EXPECT_EQ(files.error("only.md", "# A\n## B\n"), "only.md: contains no text");
  LoaderOptions options;
  options.max_parsed_file_bytes = 1024;
  EXPECT_EQ(files.error("big.md", std::string(2048, 'a'), options),
            "big.md: file is 2 KiB, above the 1 KiB limit for markdown files (max_parsed_file_bytes)");
  EXPECT_EQ(files.error("bad.md", "# ok\n\xFF\n"),
            "bad.md: invalid UTF-8 at byte 5 (line 2); expected UTF-8 text (convert legacy encodings such as GBK "
            "or Latin-1 first)");
}

TEST(MarkdownLoader, LongSectionsAreCutIntoContinuedSections) {
  testing::LoaderFiles files;
  std::string md = "# Big\n\n";
  for (int i = 0; i < 50; ++i) md += "Paragraph number " + std::to_string(i) + " of the big section.\n\n";
  LoaderOptions options;
  options.max_section_bytes = 300;
  auto docs = files.load("big.md", md, options);
  const auto& s = docs[0].sections;
  ASSERT_GT(s.size(), 3u);
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_LE(s[i].text.size(), 300u);
    EXPECT_EQ(s[i].continues_previous, i > 0);
    EXPECT_EQ(s[i].heading_path, (Path{"Big"}));
  }
}

}  // namespace
}  // namespace anvil::rag
