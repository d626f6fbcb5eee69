// A streaming RFC 4180 CSV reader: quoted fields with "" escapes and embedded line breaks,
// CRLF or LF line endings, any single-byte delimiter. Memory is bounded by the longest record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/rag/loaders/loader_common.h"
#include "anvil/rag/loaders/text_stream.h"

namespace anvil::rag::loaders {

class CsvReader {
 public:
  CsvReader(const FileContext& ctx, LineReader lines, char delimiter)
      : ctx_(&ctx), lines_(std::move(lines)), delimiter_(delimiter) {}

  // Reads the next record into `fields`; false at end of file. A malformed record (text after a
  // closing quote) is returned as an error naming its line, and reading can go on with the next
  // record; an unterminated quote or an over-long record ends the file (fatal() is then true).
  core::Result<bool> next(std::vector<std::string>& fields);

  uint64_t record_line() const { return record_line_; }  // first line of the last record
  bool fatal() const { return fatal_; }

 private:
  const FileContext* ctx_;
  LineReader lines_;
  char delimiter_;
  std::string line_;
  uint64_t record_line_ = 0;
  bool fatal_ = false;
};

}  // namespace anvil::rag::loaders
