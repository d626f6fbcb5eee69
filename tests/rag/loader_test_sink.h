// Test helper for the loader tests: a DocumentSink that keeps what it receives and checks the
// begin/section/end protocol.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "anvil/rag/document.h"
#include "anvil/rag/loaders/loader.h"

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

}  // namespace anvil::rag::testing
