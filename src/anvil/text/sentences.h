// Sentence boundaries for chunking: ICU's sentence rules (UAX #29, English abbreviations such as
// "Dr." suppressed) plus cuts after Chinese clause punctuation that ICU does not treat as a
// terminator (；… and their runs). Byte offsets in and out.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::text {

// [begin, end) in bytes of the text that was split.
struct TextSpan {
  size_t begin = 0;
  size_t end = 0;
  friend bool operator==(const TextSpan&, const TextSpan&) = default;
};

// Owns an ICU sentence iterator (costly to create, so build one and reuse it). Not thread-safe:
// use one per thread.
class SentenceSplitter {
 public:
  static core::Result<SentenceSplitter> create();

  SentenceSplitter(SentenceSplitter&&) noexcept;
  SentenceSplitter& operator=(SentenceSplitter&&) noexcept;
  ~SentenceSplitter();

  // Appends the sentences of `utf8` to `out` (after clearing it): contiguous spans that cover
  // [0, utf8.size()) in order; each sentence keeps its trailing whitespace and line breaks. A line
  // break always ends a sentence. Ill-formed UTF-8 is tolerated (treated as U+FFFD).
  void split(std::string_view utf8, std::vector<TextSpan>& out);
  std::vector<TextSpan> split(std::string_view utf8);

 private:
  struct Impl;
  explicit SentenceSplitter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Convenience for tests and one-off calls: a lazily built splitter per thread. Returns the whole
// text as one sentence if ICU cannot build an iterator (never the case with ICU's data present).
std::vector<TextSpan> split_sentences(std::string_view utf8);

}  // namespace anvil::text
