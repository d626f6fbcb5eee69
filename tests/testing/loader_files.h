// Test helper for the document loaders (tests/rag/loader_*_test.cpp): a DocumentSink that keeps
// what it receives and checks the begin/section/end protocol, and a temporary folder whose files
// are written and loaded in one call.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "anvil/rag/document.h"
#include "anvil/rag/loaders/loader.h"
#include "testing/temp_dir.h"

namespace anvil::rag::testing {

struct LoadedDocument {
  DocumentInfo info;
  std::vector<Section> sections;

  // The document text as the chunker sees it: sections joined by "\n\n".
  std::string text() const {
    std::string out;
    for (size_t i = 0; i < sections.size(); ++i) out += (i ? "\n\n" : "") + sections[i].text;
    return out;
  }
  std::string meta(const char* key) const {
    const auto* v = info.metadata.if_contains(key);
    if (v == nullptr) return "<missing>";
    if (v->is_string()) return std::string(v->get_string());
    return boost::json::serialize(*v);
  }
};

class CollectingSink : public DocumentSink {
 public:
  core::Status begin_document(const DocumentInfo& info) override {
    EXPECT_FALSE(open_) << "begin_document before end_document";
    open_ = true;
    docs.push_back({info, {}});
    return {};
  }
  core::Status add_section(Section section) override {
    EXPECT_TRUE(open_) << "add_section outside a document";
    if (docs.empty()) return core::Status::internal("no document");
    docs.back().sections.push_back(std::move(section));
    return {};
  }
  core::Status end_document() override {
    EXPECT_TRUE(open_) << "end_document without begin_document";
    EXPECT_FALSE(docs.back().sections.empty()) << "a document without sections";
    open_ = false;
    return {};
  }
  bool open() const { return open_; }

  std::vector<LoadedDocument> docs;

 private:
  bool open_ = false;
};

// Loads a file and returns its documents; a load error fails the calling test.
inline std::vector<LoadedDocument> load_ok(const std::filesystem::path& path, const LoaderOptions& options = {}) {
  CollectingSink sink;
  const core::Status st = load_file(path, options, sink);
  EXPECT_TRUE(st.ok()) << st.to_string();
  EXPECT_FALSE(sink.open());
  return sink.docs;
}

// The error message of loading a file that must fail.
inline std::string load_error(const std::filesystem::path& path, const LoaderOptions& options = {}) {
  CollectingSink sink;
  const core::Status st = load_file(path, options, sink);
  EXPECT_FALSE(st.ok()) << "expected an error loading " << path;
  return st.message();
}

// A temporary folder of documents: each call writes a file and loads it.
class LoaderFiles : public anvil::testing::TempDir {
 public:
  // Writes `content` to `name` and loads it; a load error fails the calling test.
  std::vector<LoadedDocument> load(std::string_view name, std::string_view content,
                                   const LoaderOptions& options = {}) const {
    return load_ok(write(name, content), options);
  }
  // Writes `content` to `name` and loads it, which must fail: the message, with this folder left
  // out of the paths it names ("bad.csv: line 3: ..."), so that golden messages read as written.
  std::string error(std::string_view name, std::string_view content, const LoaderOptions& options = {}) const {
    return relative(load_error(write(name, content), options));
  }
  // Options that skip bad records and keep each one's message (relative, as error() gives them).
  LoaderOptions skipping(std::vector<std::string>& reported) const {
    LoaderOptions options;
    options.bad_records = BadRecordPolicy::kSkip;
    options.on_bad_record = [this, &reported](const core::Status& s) { reported.push_back(relative(s.message())); };
    return options;
  }
  // `message` with every "<this folder>/" removed.
  std::string relative(std::string message) const {
    const std::string prefix = (path() / "").string();
    for (size_t at; (at = message.find(prefix)) != std::string::npos;) message.erase(at, prefix.size());
    return message;
  }
};

}  // namespace anvil::rag::testing
