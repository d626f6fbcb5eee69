#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "testing/loader_files.h"

namespace anvil::rag {
namespace {

using testing::load_error;
using testing::load_ok;

// The bilingual example PDF written by scripts/make_example_pdf.py.
std::filesystem::path example_pdf() {
  return anvil::testing::source_dir() / "examples" / "docs" / "pump_compressor_quick_reference.pdf";
}

// A minimal one-page PDF drawing no text; poppler rebuilds the (absent) xref table.
std::string pdf_without_text() {
  return "%PDF-1.4\n"
         "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
         "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
         "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >> endobj\n"
         "4 0 obj << /Length 18 >> stream\n0 0 m 100 100 l S\nendstream endobj\n"
         "trailer << /Root 1 0 R /Size 5 >>\n%%EOF\n";
}

TEST(PdfLoader, OneSectionPerPageWithExactChineseText) {
  auto docs = load_ok(example_pdf());
  ASSERT_EQ(docs.size(), 1u);
  const auto& d = docs[0];
  EXPECT_EQ(d.info.type, "pdf");
  EXPECT_EQ(d.info.title, "Pump and Compressor Quick Reference / 泵与空压机快速参考");
  EXPECT_EQ(d.meta("pages"), "3");
  EXPECT_EQ(d.meta("author"), "Anvil examples");
  ASSERT_EQ(d.sections.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(d.sections[i].page, i + 1);
    EXPECT_FALSE(d.sections[i].continues_previous);
  }
  EXPECT_TRUE(d.sections[0].text.starts_with("P-200 Centrifugal Pump - Quick Reference\n"
                                             "Document QR-P200, revision C. Keep this card at the pump station.\n"))
      << d.sections[0].text;
  EXPECT_NE(d.sections[0].text.find("2. Never run the pump dry: the mechanical seal fails within seconds.\n"),
            std::string::npos);
  EXPECT_TRUE(d.sections[1].text.starts_with("SA-37 螺杆空压机快速参考卡\n文件编号 QR-SA37，第B版。请将本卡放在空压机房。"))
      << d.sections[1].text;
  EXPECT_NE(d.sections[1].text.find("排气温度超过 105 摄氏度时空压机自动停机。"), std::string::npos);
  EXPECT_NE(d.sections[2].text.find("4. Apply your personal lock and tag. 挂上个人锁和警示牌。"), std::string::npos);
  EXPECT_TRUE(d.sections[2].text.ends_with("Only the person who applied a lock may remove it. 谁上锁，谁解锁。"));
}

TEST(PdfLoader, DetectedByContent) {
  anvil::testing::TempDir dir;
  std::ifstream in(example_pdf(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto path = dir.write("download.bin", bytes);
  EXPECT_EQ(detect_type(path).value_or(""), "pdf");
  EXPECT_EQ(load_ok(path)[0].sections.size(), 3u);
}

TEST(PdfLoader, Errors) {
  testing::LoaderFiles files;
  EXPECT_EQ(files.error("fake.pdf", "this is not a pdf at all"),
            "fake.pdf: not a PDF: expected a %PDF- header in the first 1024 bytes");
  EXPECT_EQ(files.error("corrupt.pdf", "%PDF-1.7\n\x01\x02 garbage without objects\n"),
            "corrupt.pdf: not a readable PDF (poppler could not parse it)");
  EXPECT_EQ(files.error("scan.pdf", pdf_without_text()),
            "scan.pdf: no extractable text in 1 page (scanned images need OCR, which Anvil does not do)");
  LoaderOptions small;
  small.max_parsed_file_bytes = 1024;
  EXPECT_EQ(load_error(example_pdf(), small),
            example_pdf().string() + ": file is " + std::to_string(std::filesystem::file_size(example_pdf())) +
                " bytes, above the 1 KiB limit for pdf files (max_parsed_file_bytes)");
}

}  // namespace
}  // namespace anvil::rag
