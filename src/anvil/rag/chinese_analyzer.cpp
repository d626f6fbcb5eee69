#include "anvil/rag/chinese_analyzer.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include "anvil/text/nfkc_casefold.h"
#include "anvil/text/utf8.h"

namespace anvil::rag {

namespace {

// Han script: ideographs of every block (compatibility ones too), radicals, 々 〆 〇.
bool is_han(char32_t c) {
  if (c < 0x2E80) return false;
  UErrorCode status = U_ZERO_ERROR;
  return uscript_getScript(static_cast<UChar32>(c), &status) == USCRIPT_HAN;
}

// Whether a jieba token is a term: it has a letter or a number (punctuation, symbols and
// whitespace tokens are dropped).
bool has_letter_or_number(std::string_view token) {
  for (size_t i = 0; i < token.size();) {
    const char32_t c = text::decode_utf8(token, i);
    if (U_GET_GC_MASK(static_cast<UChar32>(c)) & (U_GC_L_MASK | U_GC_N_MASK)) return true;
  }
  return false;
}

}  // namespace

core::Result<std::shared_ptr<const ChineseAnalyzer>> ChineseAnalyzer::create(std::string_view name) {
  ANVIL_ASSIGN_OR_RETURN(std::shared_ptr<const text::Jieba> jieba, text::Jieba::shared());
  ANVIL_ASSIGN_OR_RETURN(std::shared_ptr<const EnglishAnalyzer> english, EnglishAnalyzer::create());
  return std::shared_ptr<const ChineseAnalyzer>(
      new ChineseAnalyzer(std::string(name), std::move(jieba), std::move(english)));
}

void ChineseAnalyzer::analyze_han(std::string_view run, std::vector<std::string>& out) const {
  thread_local std::string folded;
  thread_local std::vector<std::string> words;
  folded.clear();
  text::append_nfkc_casefold(run, folded);
  words.clear();
  jieba_->cut_for_search(folded, words);
  for (auto& w : words) {
    if (has_letter_or_number(w)) out.push_back(std::move(w));
  }
}

void ChineseAnalyzer::analyze(std::string_view utf8, std::vector<std::string>& out) const {
  // Alternate runs: [other_begin, han_begin) goes to the English pipeline, [han_begin, i) to jieba.
  size_t other_begin = 0;
  size_t i = 0;
  while (i < utf8.size()) {
    if (static_cast<unsigned char>(utf8[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t next = i;
    if (!is_han(text::decode_utf8(utf8, next))) {
      i = next;
      continue;
    }
    const size_t han_begin = i;
    i = next;
    while (i < utf8.size()) {
      size_t after = i;
      if (static_cast<unsigned char>(utf8[i]) < 0x80 || !is_han(text::decode_utf8(utf8, after))) break;
      i = after;
    }
    if (han_begin > other_begin) english_->analyze(utf8.substr(other_begin, han_begin - other_begin), out);
    analyze_han(utf8.substr(han_begin, i - han_begin), out);
    other_begin = i;
  }
  if (other_begin < utf8.size()) english_->analyze(utf8.substr(other_begin), out);
}

}  // namespace anvil::rag
