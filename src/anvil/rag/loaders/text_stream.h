// Reads a file as validated UTF-8 text in blocks, so that files of any size load in bounded
// memory; LineReader builds numbered lines on it for CSV and JSON lines.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "anvil/core/status.h"
#include "anvil/rag/loaders/loader_common.h"

namespace anvil::rag::loaders {

class TextStream {
 public:
  static constexpr size_t kBlockBytes = size_t{1} << 16;

  static core::Result<TextStream> open(const FileContext& ctx);

  // The next block of text: valid UTF-8 without NUL bytes, a leading BOM removed, never ending
  // inside a code point. Empty at end of file. Errors name the byte offset and line.
  core::Result<std::string_view> next();

 private:
  TextStream(const FileContext& ctx, std::FILE* f) : ctx_(&ctx), file_(f, &std::fclose) {}

  const FileContext* ctx_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
  std::string block_;
  std::string carry_;       // an incomplete UTF-8 sequence from the previous block
  uint64_t offset_ = 0;     // file offset of block_[0]
  uint64_t line_ = 1;       // line number at block_[0]
  bool first_ = true;
  bool eof_ = false;
};

// Numbered lines ("\n", "\r\n" or "\r" terminated) of a TextStream; a line longer than
// max_record_bytes is an error naming it.
class LineReader {
 public:
  LineReader(const FileContext& ctx, TextStream stream) : ctx_(&ctx), stream_(std::move(stream)) {}

  // Sets `line` (without its terminator) and returns true, or returns false at end of file.
  core::Result<bool> next(std::string& line);
  // 1-based number of the line last returned.
  uint64_t line_number() const { return line_number_; }

 private:
  const FileContext* ctx_;
  TextStream stream_;
  std::string_view pending_;  // unread part of the stream's current block
  bool eof_ = false;
  bool skip_lf_ = false;      // the previous line ended with '\r': a following '\n' belongs to it
  uint64_t line_number_ = 0;
};

}  // namespace anvil::rag::loaders
