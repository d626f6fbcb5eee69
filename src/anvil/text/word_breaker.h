// Word segmentation as Lucene's StandardTokenizer does it: UAX#29 word boundaries (ICU rule-based
// break iterator with Lucene's tailoring), keeping letter/number/kana/ideograph/emoji segments.
// Rules and the differences from ICU's default word instance: docs/ANALYZERS.md ("Words").
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include <unicode/uversion.h>

#include "anvil/core/status.h"

U_NAMESPACE_BEGIN
class RuleBasedBreakIterator;
U_NAMESPACE_END

namespace anvil::text {

class WordBreaker {
 public:
  // Lucene's StandardTokenizer default maxTokenLength, in UTF-16 code units: a longer word is
  // cut after that many units and segmentation restarts there.
  static constexpr size_t kMaxWordLength = 255;

  // The process-wide breaker; compiles the rules on first use. Fails only when ICU's data is
  // missing or broken (kInternal naming ICU's error).
  static core::Result<const WordBreaker*> shared();

  // Appends the words of `utf8` in text order as views into `utf8`. Ill-formed UTF-8 is read as
  // U+FFFD, which never belongs to a word. ASCII stretches use a direct scanner that gives the
  // same words as the break iterator (tested on real text). Thread-safe.
  void split(std::string_view utf8, std::vector<std::string_view>& out) const;

  // split() with every stretch through the break iterator: the reference for the fast path.
  void split_with_icu(std::string_view utf8, std::vector<std::string_view>& out) const;

  ~WordBreaker();

 private:
  explicit WordBreaker(std::unique_ptr<icu::RuleBasedBreakIterator> prototype);
  void split_icu_chunk(std::string_view chunk, std::vector<std::string_view>& out) const;

  std::unique_ptr<icu::RuleBasedBreakIterator> prototype_;
};

}  // namespace anvil::text
