// The "en" analyzer: Anserini's DefaultEnglishAnalyzer (Lucene StandardTokenizer, English
// possessive filter, lower-casing, Lucene's English stop words, Porter stemming), with ICU's
// NFKC_Casefold in place of lower-casing. Pipeline and sources: docs/ANALYZERS.md.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/rag/analyzer.h"
#include "anvil/text/word_breaker.h"

namespace anvil::rag {

// Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET (33 words).
bool is_english_stop_word(std::string_view term);

class EnglishAnalyzer final : public Analyzer {
 public:
  // Fails when ICU's rules or normalization data or libstemmer's "porter" are unavailable.
  static core::Result<std::shared_ptr<const EnglishAnalyzer>> create();

  void analyze(std::string_view utf8, std::vector<std::string>& out) const override;
  std::string_view name() const override { return "en"; }

  // Possessive, normalization, stop words and stemming of one word from the tokenizer; appends
  // the term unless it is a stop word. Shared with the mixed analyzer for non-Han text.
  void add_term(std::string_view word, std::vector<std::string>& out) const;

 private:
  explicit EnglishAnalyzer(const text::WordBreaker* breaker) : breaker_(breaker) {}
  const text::WordBreaker* breaker_;
};

}  // namespace anvil::rag
