#include "anvil/text/wordpiece_tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "anvil/text/spm_tokenizer.h"
#include "anvil/text/utf8.h"

namespace anvil::text {

namespace {

constexpr std::string_view kWordStart = "\xE2\x96\x81";  // U+2581

// The first code point of cp's canonical decomposition ("é" -> "e"), as llama.cpp's NFD table
// keeps it.
char32_t nfd_first(char32_t cp) {
  if (cp < 0xC0) return cp;
  static const icu::Normalizer2* nfd = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFDInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  if (nfd == nullptr) return cp;
  icu::UnicodeString decomposition;
  if (!nfd->getDecomposition(static_cast<UChar32>(cp), decomposition) || decomposition.isEmpty()) return cp;
  return static_cast<char32_t>(decomposition.char32At(0));
}

// Simple lowercase mapping where it is one code point (U+0130's full lowercase is two, and
// llama.cpp leaves it alone).
char32_t to_lower(char32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  if (cp == 0x130) return cp;
  return static_cast<char32_t>(u_tolower(static_cast<UChar32>(cp)));
}

enum class CharClass { kWhitespace, kDrop, kAccent, kSplit, kWord };

CharClass classify(char32_t cp) {
  if (u_isUWhiteSpace(static_cast<UChar32>(cp))) return CharClass::kWhitespace;
  if (cp == 0 || cp == 0xFFFD) return CharClass::kDrop;
  switch (u_charType(static_cast<UChar32>(cp))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE:
      return CharClass::kDrop;
    case U_NON_SPACING_MARK:
    case U_ENCLOSING_MARK:
    case U_COMBINING_SPACING_MARK:
      return CharClass::kAccent;
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
      return CharClass::kSplit;
    case U_MATH_SYMBOL:
    case U_CURRENCY_SYMBOL:
    case U_MODIFIER_SYMBOL:
    case U_OTHER_SYMBOL:
      return cp < 0x7F ? CharClass::kSplit : CharClass::kWord;
    default:
      return is_bert_chinese_char(cp) ? CharClass::kSplit : CharClass::kWord;
  }
}

// Normalizes and splits `text`: the words are written one after another into `buf`, word i ending
// at ends[i].
void split_words(std::string_view text, bool lowercase, bool strip_accents, std::string& buf,
                 std::vector<uint32_t>& ends) {
  buf.clear();
  ends.clear();
  auto finish_word = [&] {
    if (buf.size() > (ends.empty() ? 0 : ends.back())) ends.push_back(static_cast<uint32_t>(buf.size()));
  };
  for (size_t pos = 0; pos < text.size();) {
    char32_t cp = decode_utf8(text, pos);
    if (strip_accents) cp = nfd_first(cp);
    const CharClass cls = classify(cp);
    if (cls == CharClass::kWhitespace) {
      finish_word();
      continue;
    }
    if (cls == CharClass::kDrop) continue;
    if (cls == CharClass::kAccent && strip_accents) continue;
    const char32_t out = lowercase ? to_lower(cp) : cp;
    if (cls == CharClass::kSplit) {
      finish_word();
      append_utf8(buf, out);
      finish_word();
    } else {
      append_utf8(buf, out);
    }
  }
  finish_word();
}

}  // namespace

bool is_bert_chinese_char(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) ||
         (cp >= 0x2B920 && cp <= 0x2CEAF) ||  // sic: Hugging Face starts this range at 2B920, not 2B820
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

std::vector<std::string> WordPieceTokenizer::words(std::string_view text) const {
  std::string buf;
  std::vector<uint32_t> ends;
  split_words(text, vocab_.lowercase, vocab_.strip_accents, buf, ends);
  std::vector<std::string> out;
  uint32_t begin = 0;
  for (uint32_t end : ends) {
    out.emplace_back(buf.substr(begin, end - begin));
    begin = end;
  }
  return out;
}

void WordPieceTokenizer::encode_text(std::string_view text, bool /*after_special*/, std::vector<TokenId>& out) const {
  std::string buf;
  std::vector<uint32_t> ends;
  split_words(text, vocab_.lowercase, vocab_.strip_accents, buf, ends);
  std::string word;
  uint32_t begin = 0;
  for (uint32_t end : ends) {
    word.assign(kWordStart);
    word.append(buf, begin, end - begin);
    begin = end;
    const std::string_view w = word;
    const size_t first = out.size();
    // Greedy longest match from each byte position; one unmatched position makes the word [UNK].
    for (size_t i = 0; i < w.size();) {
      size_t j = std::min(w.size(), i + max_token_bytes_);
      TokenId id = -1;
      for (; j > i; --j) {
        id = find_token(w.substr(i, j - i));
        if (id >= 0) break;
      }
      if (id < 0) {
        out.resize(first);
        break;
      }
      out.push_back(id);
      i = j;
    }
    if (out.size() == first && vocab_.unk >= 0) out.push_back(vocab_.unk);
  }
}

void WordPieceTokenizer::append_normal_piece(TokenId id, std::string& out) const {
  append_unescaped_spaces(vocab_.tokens[id], out);
}

}  // namespace anvil::text
