#include <string>

#include <gtest/gtest.h>

#include "testing/loader_files.h"

namespace anvil::rag {
namespace {

using testing::load_error;
using testing::load_ok;

TEST(TextLoader, OneDocumentWithMetadata) {
  anvil::testing::TempDir dir;
  auto path = dir.write("notes.txt", "\xEF\xBB\xBFPump P-200 notes\r\nLine two\r\n\r\n第二段：检查油位。\r\n");
  LoaderOptions options;
  options.extra_metadata["plant"] = "Shenzhen";
  auto docs = load_ok(path, options);
  ASSERT_EQ(docs.size(), 1u);
  const auto& d = docs[0];
  EXPECT_EQ(d.info.type, "text");
  EXPECT_EQ(d.info.source, path.string());
  EXPECT_EQ(d.text(), "Pump P-200 notes\nLine two\n\n第二段：检查油位。");
  EXPECT_EQ(d.meta("type"), "text");
  EXPECT_EQ(d.meta("source"), path.string());
  EXPECT_EQ(d.meta("plant"), "Shenzhen");
  EXPECT_EQ(d.meta("title"), "<missing>");
  // The file's modification time, ISO 8601 UTC.
  const std::string ts = d.meta("timestamp");
  ASSERT_EQ(ts.size(), 20u) << ts;
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts.back(), 'Z');
  EXPECT_FALSE(d.sections[0].continues_previous);
}

TEST(TextLoader, LongTextBecomesContinuedSectionsCutAtParagraphs) {
  anvil::testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 200; ++i) text += "Paragraph " + std::to_string(i) + " about seals and 轴承.\n\n";
  text.resize(text.size() - 2);
  auto path = dir.write("long.txt", text);
  LoaderOptions options;
  options.max_section_bytes = 1000;
  auto docs = load_ok(path, options);
  ASSERT_EQ(docs.size(), 1u);
  const auto& sections = docs[0].sections;
  ASSERT_GT(sections.size(), 5u);
  for (size_t i = 0; i < sections.size(); ++i) {
    EXPECT_LE(sections[i].text.size(), 1000u);
    EXPECT_EQ(sections[i].continues_previous, i > 0);
    EXPECT_TRUE(sections[i].text.starts_with("Paragraph ")) << sections[i].text;
    EXPECT_TRUE(sections[i].text.ends_with("轴承.")) << sections[i].text;
  }
  // Cut at blank lines only, so joining with "\n\n" gives the file back exactly.
  EXPECT_EQ(docs[0].text(), text);
}

TEST(TextLoader, CutsAtLinesThenSpacesThenCodePoints) {
  anvil::testing::TempDir dir;
  std::string lines;
  for (int i = 0; i < 100; ++i) lines += "line " + std::to_string(i) + "\n";
  std::string cjk;
  for (int i = 0; i < 1000; ++i) cjk += "空压机";
  auto a = dir.write("lines.txt", lines);
  auto b = dir.write("cjk.txt", cjk);
  LoaderOptions options;
  options.max_section_bytes = 100;
  const auto line_docs = load_ok(a, options);
  ASSERT_EQ(line_docs.size(), 1u);
  for (const auto& s : line_docs[0].sections) {
    EXPECT_TRUE(s.text.starts_with("line ")) << s.text;
    EXPECT_NE(s.text.back(), '\n');
  }
  std::string joined;
  const auto cjk_docs = load_ok(b, options);
  ASSERT_EQ(cjk_docs.size(), 1u);
  for (const auto& s : cjk_docs[0].sections) {
    EXPECT_LE(s.text.size(), 100u);
    EXPECT_EQ(s.text.size() % 3, 0u) << "cut inside a character";
    joined += s.text;
  }
  EXPECT_EQ(joined, cjk);
}

TEST(TextLoader, ExtensionlessTextIsDetected) {
  anvil::testing::TempDir dir;
  auto path = dir.write("README", "just text");
  EXPECT_EQ(detect_type(path).value_or(""), "text");
  EXPECT_EQ(load_ok(path)[0].text(), "just text");
}

TEST(TextLoader, Errors) {
  testing::LoaderFiles files;
  EXPECT_EQ(files.error("empty.txt", ""), "empty.txt: file is empty");
  EXPECT_EQ(files.error("blank.txt", " \n\n\t\n"), "blank.txt: contains no text (only whitespace)");
  EXPECT_EQ(files.error("image.txt", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16)),
            "image.txt: binary content (NUL byte at offset 8); expected UTF-8 text");
  EXPECT_EQ(files.error("utf16.txt", std::string("\xFF\xFEh\0i\0", 6)),
            "utf16.txt: UTF-16 text is not supported; expected UTF-8 (convert the file first)");
  // "泵" in GBK is B1 C3: invalid UTF-8 on line 2.
  EXPECT_EQ(files.error("gbk.txt", "first line\nsecond \xB1\xC3 line\n"),
            "gbk.txt: invalid UTF-8 at byte 18 (line 2); expected UTF-8 text (convert legacy encodings such as "
            "GBK or Latin-1 first)");
  EXPECT_EQ(files.error("cut.txt", "ends with half a character \xE6\xB3"),
            "cut.txt: invalid UTF-8 at byte 27 (line 1): truncated sequence at end of file");
  EXPECT_EQ(files.relative(load_error(files / "missing.txt")), "missing.txt: cannot open: No such file or directory");
  EXPECT_EQ(load_error(files.path()), files.path().string() + ": expected a regular file, found a directory");
}

TEST(TextLoader, InvalidUtf8FarIntoAStreamedFileNamesItsOffsetAndLine) {
  testing::LoaderFiles files;
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "0123456789\n";  // 220,000 bytes: several blocks
  const size_t offset = text.size();
  text += "bad \xC0\xAF here\n";
  EXPECT_EQ(files.error("big.txt", text), "big.txt: invalid UTF-8 at byte " + std::to_string(offset + 4) +
                                              " (line 20001); expected UTF-8 text (convert legacy encodings such "
                                              "as GBK or Latin-1 first)");
}

TEST(TextLoader, ReservedExtraMetadataIsRejected) {
  testing::LoaderFiles files;
  LoaderOptions options;
  options.extra_metadata["source"] = "mine";
  EXPECT_EQ(files.error("a.txt", "x", options),
            "extra metadata key 'source' is reserved: type, source, title and timestamp are set by the loader");
}

TEST(TextLoader, MetaAssignmentsAreTyped) {
  LoaderOptions options;
  ASSERT_TRUE(add_extra_metadata(options, "line=3").ok());
  ASSERT_TRUE(add_extra_metadata(options, "ratio=0.5").ok());
  ASSERT_TRUE(add_extra_metadata(options, "ok=true").ok());
  ASSERT_TRUE(add_extra_metadata(options, "plant=深圳=A").ok());
  ASSERT_TRUE(add_extra_metadata(options, "code=007").ok());
  EXPECT_EQ(options.extra_metadata.at("line").as_int64(), 3);
  EXPECT_EQ(options.extra_metadata.at("ratio").as_double(), 0.5);
  EXPECT_EQ(options.extra_metadata.at("ok").as_bool(), true);
  EXPECT_EQ(options.extra_metadata.at("plant").as_string(), "深圳=A");
  EXPECT_EQ(options.extra_metadata.at("code").as_string(), "007");
  EXPECT_EQ(add_extra_metadata(options, "novalue").message(), "metadata: expected key=value, found 'novalue'");
  EXPECT_EQ(add_extra_metadata(options, "title=x").message(),
            "metadata key 'title' is reserved: type, source, title and timestamp are set by the loader");
}

}  // namespace
}  // namespace anvil::rag
