#include <string>

#include <gtest/gtest.h>

#include "testing/loader_files.h"

namespace anvil::rag {
namespace {

std::string type_of(const std::filesystem::path& p) {
  auto t = detect_type(p);
  return t.ok() ? *t : "error: " + t.status().message();
}

TEST(DetectType, ByExtension) {
  anvil::testing::TempDir dir;
  // Extension wins over content.
  EXPECT_EQ(type_of(dir.write("a.txt", "{\"_id\": 1, \"text\": \"x\"}")), "text");
  EXPECT_EQ(type_of(dir.write("a.LOG", "x")), "text");
  EXPECT_EQ(type_of(dir.write("a.md", "x")), "markdown");
  EXPECT_EQ(type_of(dir.write("a.markdown", "x")), "markdown");
  EXPECT_EQ(type_of(dir.write("a.HTM", "x")), "html");
  EXPECT_EQ(type_of(dir.write("a.pdf", "x")), "pdf");
  EXPECT_EQ(type_of(dir.write("a.docx", "x")), "docx");
  EXPECT_EQ(type_of(dir.write("a.csv", "x")), "csv");
  EXPECT_EQ(type_of(dir.write("a.tsv", "x")), "csv");
  EXPECT_EQ(type_of(dir.write("a.jsonl", "{\"id\": 1}")), "jsonl");
  EXPECT_EQ(type_of(dir.write("b.jsonl", "\n{\"_id\": \"1\", \"title\": \"t\", \"text\": \"x\"}\n")), "beir");
  EXPECT_EQ(type_of(dir.write("c.ndjson", "{\"_id\": \"1\"}")), "jsonl");  // no text: not BEIR
  EXPECT_EQ(type_of(dir.write("d.json", "{\"a\": 1}\n{\"a\": 2}")), "jsonl");
}

TEST(DetectType, ByContent) {
  anvil::testing::TempDir dir;
  EXPECT_EQ(type_of(dir.write("p", "%PDF-1.7\n...")), "pdf");
  EXPECT_EQ(type_of(dir.write("h1", "<html><body>x</body></html>")), "html");
  EXPECT_EQ(type_of(dir.write("h2", "\xEF\xBB\xBF<!DOCTYPE html>\n<title>x</title>")), "html");
  EXPECT_EQ(type_of(dir.write("h3", "<?xml version=\"1.0\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">")), "html");
  EXPECT_EQ(type_of(dir.write("j", "{\"id\": 1, \"text\": \"a\"}\n")), "jsonl");
  EXPECT_EQ(type_of(dir.write("b", "{\"_id\": \"1\", \"text\": \"a\"}\n")), "beir");
  EXPECT_EQ(type_of(dir.write("t", "Plain notes, 中文也可以。")), "text");
  EXPECT_EQ(type_of(dir.write("t2", "{ not json")), "text");
  EXPECT_EQ(type_of(dir.write("t3", "a < b and <c")), "text");
}

TEST(DetectType, Errors) {
  anvil::testing::TempDir dir;
  const std::string supported =
      "supported: .txt .md .html .pdf .docx .csv .tsv .jsonl (and BEIR corpus.jsonl), or text content";
  auto png = dir.write("photo.png", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  EXPECT_EQ(type_of(png), "error: " + png.string() + ": unsupported file type '.png': binary content; " + supported);
  auto doc = dir.write("old.doc", "x");
  EXPECT_EQ(type_of(doc),
            "error: " + doc.string() + ": unsupported file type '.doc' (save it as .docx, .pdf or .csv); " + supported);
  auto json = dir.write("config.json", "{\n  \"a\": 1\n}\n");
  EXPECT_EQ(type_of(json), "error: " + json.string() + ": a JSON document, not JSON lines: expected one JSON object per line");
  auto empty = dir.write("empty", "");
  EXPECT_EQ(type_of(empty), "error: " + empty.string() + ": file is empty");
  EXPECT_EQ(type_of(dir / "nope"), "error: " + (dir / "nope").string() + ": cannot open: No such file or directory");

  testing::CollectingSink sink;
  LoaderOptions options;
  options.type = "xml";
  auto any = dir.write("x.txt", "x");
  EXPECT_EQ(load_file(any, options, sink).message(),
            "unknown document type 'xml': expected text, markdown, html, pdf, docx, csv, jsonl or beir");
  EXPECT_EQ(load_file(png, {}, sink).code(), core::StatusCode::kUnsupported);
}

TEST(DetectType, ForcedTypeOverridesDetection) {
  anvil::testing::TempDir dir;
  auto path = dir.write("notes.txt", "# Heading\n\nBody.");
  LoaderOptions options;
  options.type = "markdown";
  auto docs = testing::load_ok(path, options);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].info.type, "markdown");
  EXPECT_EQ(docs[0].sections[0].heading_path, std::vector<std::string>{"Heading"});
}

}  // namespace
}  // namespace anvil::rag
