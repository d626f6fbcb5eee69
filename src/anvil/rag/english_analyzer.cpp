#include "anvil/rag/english_analyzer.h"

#include <algorithm>
#include <array>

#include "anvil/rag/porter_stemmer.h"
#include "anvil/text/nfkc_casefold.h"

namespace anvil::rag {

namespace {

// Sorted, for binary search.
constexpr std::array<std::string_view, 33> kStopWords = {
    "a",    "an",   "and",   "are",   "as",    "at",   "be",   "but",  "by",   "for",  "if",
    "in",   "into", "is",    "it",    "no",    "not",  "of",   "on",   "or",   "such", "that",
    "the",  "their", "then", "there", "these", "they", "this", "to",   "was",  "will", "with"};

// Lucene's EnglishPossessiveFilter: a trailing 's or 'S after ', U+2019 or U+FF07 goes.
std::string_view strip_possessive(std::string_view w) {
  if (w.size() < 2 || (w.back() != 's' && w.back() != 'S')) return w;
  std::string_view head = w.substr(0, w.size() - 1);
  if (head.ends_with('\'')) return head.substr(0, head.size() - 1);
  if (head.ends_with("\u2019")) return head.substr(0, head.size() - 3);
  if (head.ends_with("\uFF07")) return head.substr(0, head.size() - 3);
  return w;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

bool is_english_stop_word(std::string_view term) {
  // Every stop word has 1 to 5 bytes; most terms are longer and need no search.
  return term.size() <= 5 && std::binary_search(kStopWords.begin(), kStopWords.end(), term);
}

core::Result<std::shared_ptr<const EnglishAnalyzer>> EnglishAnalyzer::create() {
  ANVIL_ASSIGN_OR_RETURN(const text::WordBreaker* breaker, text::WordBreaker::shared());
  ANVIL_RETURN_IF_ERROR(text::check_nfkc_casefold_available());
  ANVIL_RETURN_IF_ERROR(check_porter_available());
  return std::shared_ptr<const EnglishAnalyzer>(new EnglishAnalyzer(breaker));
}

void EnglishAnalyzer::add_term(std::string_view word, std::vector<std::string>& out) const {
  word = strip_possessive(word);
  std::string term;
  if (is_ascii(word)) {
    // NFKC_Casefold of ASCII is lower-casing.
    term.resize(word.size());
    std::transform(word.begin(), word.end(), term.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  } else {
    text::append_nfkc_casefold(word, term);
  }
  if (term.empty() || is_english_stop_word(term)) return;
  porter_stem(term);
  out.push_back(std::move(term));
}

void EnglishAnalyzer::analyze(std::string_view utf8, std::vector<std::string>& out) const {
  thread_local std::vector<std::string_view> words;
  words.clear();
  breaker_->split(utf8, words);
  for (std::string_view w : words) add_term(w, out);
}

}  // namespace anvil::rag
