// Shared pieces of the loaders: the facts about the file being loaded, error messages that name
// it, whole-file reads with a size limit, UTF-8/binary checks, and emitting a document's sections.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "anvil/core/status.h"
#include "anvil/rag/document.h"
#include "anvil/rag/loaders/loader.h"

namespace anvil::rag::loaders {

struct FileContext {
  std::filesystem::path path;
  std::string display;    // the path as given: used as the document source and in errors
  std::string mtime_iso;  // modification time, ISO 8601 UTC ("2024-03-01T08:00:00Z")
  uint64_t size = 0;      // bytes
  const LoaderOptions* options = nullptr;

  // "path: message" with the given code.
  core::Status error(core::StatusCode code, std::string_view message) const;
  // "path: line N: message" (kInvalidArgument): malformed records.
  core::Status line_error(uint64_t line, std::string_view message) const;
};

// Stats the file: kNotFound when missing, kInvalidArgument for a directory or special file,
// kInvalidArgument "file is empty" for zero bytes.
core::Result<FileContext> open_context(const std::filesystem::path& path, const LoaderOptions& options);

// Reads a whole file that a parser needs in memory, refusing files above
// options.max_parsed_file_bytes (kResourceExhausted naming the limit and the type).
core::Result<std::string> read_whole_file(const FileContext& ctx, std::string_view type);

// Checks bytes meant to be text: a NUL byte means binary content (kUnsupported), ill-formed
// UTF-8 is kInvalidArgument naming the byte offset and line. `base_offset`/`base_line` place the
// bytes within the file (for streamed blocks).
core::Status check_text(const FileContext& ctx, std::string_view bytes, uint64_t base_offset = 0,
                        uint64_t base_line = 1);

// Removes a leading UTF-8 byte order mark.
std::string_view strip_bom(std::string_view text);

// Replaces "\r\n" and lone "\r" by "\n".
std::string normalize_newlines(std::string_view text);

// Metadata keys every document gets from the loader; fields with these names are stored as
// "record_<name>" instead.
bool is_reserved_key(std::string_view key);

// A DocumentInfo whose metadata holds `fields` (reserved names renamed), then the options' extra
// metadata, then type, source, title (when not empty) and timestamp (the file's modification time
// when `timestamp` is empty).
DocumentInfo make_info(const FileContext& ctx, std::string_view type, std::string source,
                       std::string title, std::string timestamp,
                       const boost::json::object& fields = {});

// Sends one document: begin_document, its sections (each longer than max_section_bytes cut into
// continued sections), end_document. Sections with blank text are dropped.
core::Status emit_document(DocumentSink& sink, const DocumentInfo& info, std::vector<Section> sections,
                           size_t max_section_bytes);

// Sends `section`, cut into pieces of at most max_bytes at paragraph, then line, then code point
// boundaries; pieces after the first have continues_previous set.
core::Status emit_section(DocumentSink& sink, Section section, size_t max_bytes);

// Where to cut text[0, limit] so that the first piece is at most `limit` bytes: after the last
// blank line, else the last line break, else the last space, else a code point boundary. Returns
// {end of first piece, start of the rest} (the whitespace between is dropped).
std::pair<size_t, size_t> find_cut(std::string_view text, size_t limit);

std::string human_bytes(uint64_t bytes);

}  // namespace anvil::rag::loaders
