// Document loaders: turn a file (text, Markdown, HTML, PDF, DOCX, CSV, JSON lines, BEIR corpus)
// into DocumentInfo + Sections for a DocumentSink. Types, field mapping defaults, limits and
// error messages are documented in docs/LOADERS.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "anvil/core/status.h"
#include "anvil/rag/document.h"

namespace anvil::rag {

// How CSV columns / JSONL fields become a document. Empty means "use the default rule".
struct FieldMapping {
  std::string id_field;         // default: "id", else "_id", else the 1-based record number
  std::string title_field;      // default: "title", else "name"; "-" = no title
  std::string timestamp_field;  // default: first of timestamp/date/time/created_at whose value
                                // parses as a time; "-" = none (file modification time)
  std::vector<std::string> text_fields;      // default: every non-numeric field except id/title
  std::vector<std::string> metadata_fields;  // default: every field (long strings left out)
};

// What to do with a malformed CSV row or JSONL record.
enum class BadRecordPolicy {
  kFail,  // stop: load_file returns the error (records before it were already delivered)
  kSkip,  // report it through on_bad_record and go on
};

struct LoaderOptions {
  // Forces a type ("text", "markdown", "html", "pdf", "docx", "csv", "jsonl", "beir"); empty =
  // detect_type().
  std::string type;
  FieldMapping fields;
  // Added to every document's metadata (`--meta k=v`). Keys type/source/title/timestamp are
  // reserved and rejected.
  boost::json::object extra_metadata;

  size_t max_section_bytes = size_t{1} << 20;      // longer text is cut into continued sections
  uint64_t max_parsed_file_bytes = uint64_t{64} << 20;  // md/html/docx/pdf are parsed whole
  size_t max_record_bytes = size_t{16} << 20;      // one CSV row / JSONL line
  size_t max_metadata_string_bytes = 256;          // longer default-mapped strings stay text only

  BadRecordPolicy bad_records = BadRecordPolicy::kFail;
  // Receives each skipped record's error (file and line named) under kSkip.
  std::function<void(const core::Status&)> on_bad_record;
};

// The document type of a file: by extension (.txt .text .log .md .markdown .html .htm .xhtml
// .pdf .docx .csv .tsv .jsonl .ndjson .json), then by content (%PDF-, a zip holding
// word/document.xml, an HTML doctype or tag, a JSON object per line; "beir" for JSON lines whose
// records have "_id" and "text"). Binary or unrecognised content is kUnsupported.
core::Result<std::string> detect_type(const std::filesystem::path& path);

// Loads one file into the sink: begin_document, add_section..., end_document per document.
// Errors name the file and, where it applies, the line or byte offset.
core::Status load_file(const std::filesystem::path& path, const LoaderOptions& options,
                       DocumentSink& sink);

// Parses a `--meta key=value` assignment into options.extra_metadata; the value is typed like a
// CSV cell (integer, number, true/false, else string).
core::Status add_extra_metadata(LoaderOptions& options, std::string_view assignment);

}  // namespace anvil::rag
