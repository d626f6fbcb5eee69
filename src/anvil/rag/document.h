// What loaders produce and the chunker consumes: a document's identity and metadata, then its text
// as an ordered stream of sections, so that a file of several GB never has to sit in memory whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "anvil/core/status.h"

namespace anvil::rag {

// Identity and metadata of one document. A file gives one document, except record files (CSV,
// JSONL, BEIR corpus) which give one document per row/record.
struct DocumentInfo {
  std::string source;  // unique within a collection: "path" or "path#<record id>"
  std::string type;    // "text" | "markdown" | "html" | "pdf" | "docx" | "csv" | "jsonl" | "beir"
  std::string title;   // may be empty
  // Custom fields (CSV/JSONL columns mapped to metadata, --meta k=v, BEIR metadata) plus "type",
  // "source", "title" and, when known, "timestamp" (ISO 8601 string, UTC: "2024-03-01T08:00:00Z").
  boost::json::object metadata;
};

// A run of a document's extracted text. The chunker never lets a chunk span two sections unless
// `continues_previous` is set (a long body streamed in pieces).
struct Section {
  std::string text;                       // valid UTF-8
  std::vector<std::string> heading_path;  // e.g. {"Pump P-200 manual", "Maintenance", "Seals"}
  std::optional<int> page;                // 1-based PDF page
  bool continues_previous = false;        // same logical section as the one before it
};

// Receives what a loader extracts, in order: begin, sections..., end, for each document.
class DocumentSink {
 public:
  virtual ~DocumentSink() = default;
  virtual core::Status begin_document(const DocumentInfo& info) = 0;
  virtual core::Status add_section(Section section) = 0;
  virtual core::Status end_document() = 0;
};

// One piece of a document as it is stored and indexed.
struct Chunk {
  int ordinal = 0;                        // 0-based position within the document
  std::string text;
  int64_t char_start = 0;                 // [char_start, char_end) in Unicode code points of the
  int64_t char_end = 0;                   // document text: sections joined by "\n\n"
  int token_count = 0;
  std::vector<std::string> heading_path;
  std::optional<int> page;
};

}  // namespace anvil::rag
