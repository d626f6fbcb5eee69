#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <zip.h>

#include "testing/loader_files.h"

namespace anvil::rag {
namespace {

using testing::load_error;
using testing::load_ok;
using Path = std::vector<std::string>;

// Writes a zip archive with the given members (what Word saves, minus the parts Anvil ignores).
std::filesystem::path write_zip(const anvil::testing::TempDir& dir, const std::string& name,
                                const std::vector<std::pair<std::string, std::string>>& members) {
  const auto path = dir / name;
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  EXPECT_NE(z, nullptr);
  for (const auto& [member, data] : members) {
    zip_source_t* src = zip_source_buffer(z, data.data(), data.size(), 0);
    EXPECT_GE(zip_file_add(z, member.c_str(), src, ZIP_FL_ENC_UTF_8), 0);
  }
  EXPECT_EQ(zip_close(z), 0);
  return path;
}

std::string paragraph(const std::string& text, const std::string& style = "") {
  std::string p = "<w:p>";
  if (!style.empty()) p += "<w:pPr><w:pStyle w:val=\"" + style + "\"/></w:pPr>";
  return p + "<w:r><w:t xml:space=\"preserve\">" + text + "</w:t></w:r></w:p>";
}

std::string document(const std::string& body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
         "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>" +
         body + "</w:body></w:document>";
}

const char* kStyles =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
    "<w:style w:type=\"paragraph\" w:styleId=\"1\"><w:name w:val=\"heading 1\"/></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"2\"><w:name w:val=\"heading 2\"/></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"MyTitle\"><w:name w:val=\"Title\"/></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Outline3\"><w:name w:val=\"Custom\"/>"
    "<w:pPr><w:outlineLvl w:val=\"2\"/></w:pPr></w:style>"
    "</w:styles>";

const char* kCore =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>空压机维修规程</dc:title>"
    "<dc:creator>王工</dc:creator></cp:coreProperties>";

TEST(DocxLoader, ParagraphsHeadingsAndTables) {
  anvil::testing::TempDir dir;
  const std::string body =
      paragraph("SA-37 维修规程", "MyTitle") + paragraph("Intro paragraph.") +
      paragraph("Maintenance", "1") +  // localized Word: style id "1" named "heading 1"
      paragraph("Oil filter", "Heading2") +  // English Word style id
      "<w:p><w:r><w:t>Replace every </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>2000</w:t></w:r>"
      "<w:r><w:t xml:space=\"preserve\"> hours.</w:t><w:tab/><w:t>Tab</w:t><w:br/><w:t>Next line</w:t></w:r>"
      "<w:del><w:r><w:delText>deleted text</w:delText></w:r></w:del>"
      "<w:r><w:instrText>PAGE \\* MERGEFORMAT</w:instrText></w:r></w:p>" +
      paragraph("Deep", "Outline3") + paragraph("Level three body.") +
      "<w:tbl><w:tr><w:tc>" + paragraph("故障") + "</w:tc><w:tc>" + paragraph("处理") + "</w:tc></w:tr>"
      "<w:tr><w:tc>" + paragraph("排气温度高") + "</w:tc><w:tc>" + paragraph("清洗冷却器") + paragraph("检查油位") +
      "</w:tc></w:tr></w:tbl>";
  auto path = write_zip(dir, "manual.docx",
                        {{"word/document.xml", document(body)}, {"word/styles.xml", kStyles}, {"docProps/core.xml", kCore}});
  auto docs = load_ok(path);
  ASSERT_EQ(docs.size(), 1u);
  const auto& d = docs[0];
  EXPECT_EQ(d.info.type, "docx");
  EXPECT_EQ(d.info.title, "空压机维修规程");
  EXPECT_EQ(d.meta("author"), "王工");
  ASSERT_EQ(d.sections.size(), 3u);
  EXPECT_EQ(d.sections[0].text, "SA-37 维修规程\n\nIntro paragraph.");
  EXPECT_EQ(d.sections[0].heading_path, (Path{"SA-37 维修规程"}));
  EXPECT_EQ(d.sections[1].text, "Oil filter\n\nReplace every 2000 hours.\tTab\nNext line");
  EXPECT_EQ(d.sections[1].heading_path, (Path{"SA-37 维修规程", "Maintenance", "Oil filter"}));
  EXPECT_EQ(d.sections[2].text, "Deep\n\nLevel three body.\n\n故障 | 处理\n排气温度高 | 清洗冷却器 检查油位");
  EXPECT_EQ(d.sections[2].heading_path, (Path{"SA-37 维修规程", "Maintenance", "Oil filter", "Deep"}));
}

TEST(DocxLoader, WithoutStylesOrCorePropertiesUsesStyleIdsAndFirstHeading) {
  anvil::testing::TempDir dir;
  auto path = write_zip(dir, "plain.docx",
                        {{"word/document.xml", document(paragraph("Pump guide", "Heading1") + paragraph("Body."))}});
  auto docs = load_ok(path);
  EXPECT_EQ(docs[0].info.title, "Pump guide");
  EXPECT_EQ(docs[0].text(), "Pump guide\n\nBody.");
}

TEST(DocxLoader, DetectedByContent) {
  anvil::testing::TempDir dir;
  auto path = write_zip(dir, "upload", {{"word/document.xml", document(paragraph("x"))}});
  EXPECT_EQ(detect_type(path).value_or(""), "docx");
  auto other = write_zip(dir, "archive", {{"readme.txt", "hi"}});
  EXPECT_EQ(detect_type(other).status().message(),
            other.string() + ": unsupported file type: a zip archive without word/document.xml (not a DOCX); "
                             "supported: .txt .md .html .pdf .docx .csv .tsv .jsonl (and BEIR corpus.jsonl), or text content");
}

TEST(DocxLoader, Errors) {
  testing::LoaderFiles files;
  EXPECT_EQ(files.error("broken.docx", "PK\x03\x04 but not really a zip file"),
            "broken.docx: not a readable DOCX: Not a zip archive");
  auto error = [&](const char* name, const std::vector<std::pair<std::string, std::string>>& entries,
                   const LoaderOptions& options = {}) {
    return files.relative(load_error(write_zip(files, name, entries), options));
  };
  EXPECT_EQ(error("nodoc.docx", {{"word/styles.xml", kStyles}}),
            "nodoc.docx: not a DOCX: the zip archive has no word/document.xml");
  EXPECT_EQ(error("badxml.docx", {{"word/document.xml", "<w:document><w:body><w:p>"}}),
            "badxml.docx: not a readable DOCX: word/document.xml: XML error at byte 24: Start-end tags mismatch");
  EXPECT_EQ(error("empty.docx", {{"word/document.xml", document("")}}), "empty.docx: contains no text");
  const std::string expanded = document(paragraph(std::string(5000, 'a')));
  auto bomb = write_zip(files, "bomb.docx", {{"word/document.xml", expanded}});
  ASSERT_LT(std::filesystem::file_size(bomb), 400u);  // compresses well
  LoaderOptions small;
  small.max_parsed_file_bytes = 1000;
  EXPECT_EQ(files.relative(load_error(bomb, small)),
            "bomb.docx: word/document.xml expands to " + std::to_string(expanded.size()) +
                " bytes, above the 1000 bytes limit (max_parsed_file_bytes)");
}

}  // namespace
}  // namespace anvil::rag
