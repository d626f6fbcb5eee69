#include "anvil/text/word_breaker.h"

#include <unicode/rbbi.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>

#include <array>
#include <string>

#include "anvil/text/utf8.h"

namespace anvil::text {

namespace {

// UAX#29 word rules in ICU's syntax, after ICU 72's root word rules, tailored to behave like
// Lucene's StandardTokenizer (StandardTokenizerImpl.jflex):
//  - '@' is not a letter (ICU adds it to ALetter: "foo@bar.com" stays one word there);
//  - ':' is a MidLetter, as in UAX#29 ("a:b" is one word; ICU removes it);
//  - no dictionary: each Han ideograph and each Hiragana character is a word of its own,
//    Katakana runs are one word, Hangul syllables are letters, and a run of South-East Asian
//    (Line_Break=Complex_Context) characters is one word.
// Statuses: 100 number, 200 letters, 300 kana, 400 ideograph, 0 everything else.
constexpr char16_t kRules[] = uR"RULES(
!!chain;
!!quoted_literals_only;
$Han                = [:Han:];
$CR                 = [\p{Word_Break = CR}];
$LF                 = [\p{Word_Break = LF}];
$Newline            = [\p{Word_Break = Newline}];
$Extend             = [\p{Word_Break = Extend} - $Han];
$ZWJ                = [\p{Word_Break = ZWJ}];
$Regional_Indicator = [\p{Word_Break = Regional_Indicator}];
$Format             = [\p{Word_Break = Format}];
$Katakana           = [\p{Word_Break = Katakana}];
$Hebrew_Letter      = [\p{Word_Break = Hebrew_Letter}];
$Single_Quote       = [\p{Word_Break = Single_Quote}];
$Double_Quote       = [\p{Word_Break = Double_Quote}];
$MidNumLet          = [\p{Word_Break = MidNumLet}];
$MidLetter          = [\p{Word_Break = MidLetter}];
$MidNum             = [\p{Word_Break = MidNum}];
$Numeric            = [\p{Word_Break = Numeric}];
$ExtendNumLet       = [\p{Word_Break = ExtendNumLet}];
$WSegSpace          = [\p{Word_Break = WSegSpace}];
$Extended_Pict      = [\p{Extended_Pictographic}];
$Hiragana           = [:Hiragana:];
$Control            = [\p{Grapheme_Cluster_Break = Control}];
$ComplexContext     = [[:LineBreak = Complex_Context:] - $Extend - $Control];
$ALetterPlus        = [\p{Word_Break = ALetter} - $Han - $Hiragana - $ComplexContext];
$ExFm               = [$Extend $Format $ZWJ];

$CR $LF;
$ZWJ $Extended_Pict;
$WSegSpace $WSegSpace;
^$ExFm+;
[^$CR $LF $Newline $ExFm] $ExFm*;

$Numeric $ExFm* {100};
$ALetterPlus $ExFm* {200};
$Hebrew_Letter $ExFm* {200};
$ComplexContext $ExFm* {200};
$Katakana $ExFm* {300};
$Hiragana $ExFm* {300};
$Han $ExFm* {400};

($ALetterPlus | $Hebrew_Letter) $ExFm* ($ALetterPlus | $Hebrew_Letter);
($ALetterPlus | $Hebrew_Letter) $ExFm* ($MidLetter | $MidNumLet | $Single_Quote) $ExFm* ($ALetterPlus | $Hebrew_Letter) {200};
$Hebrew_Letter $ExFm* $Single_Quote {200};
$Hebrew_Letter $ExFm* $Double_Quote $ExFm* $Hebrew_Letter;
$Numeric $ExFm* $Numeric;
($ALetterPlus | $Hebrew_Letter) $ExFm* $Numeric;
$Numeric $ExFm* ($ALetterPlus | $Hebrew_Letter);
$Numeric $ExFm* ($MidNum | $MidNumLet | $Single_Quote) $ExFm* $Numeric;
$ComplexContext $ExFm* $ComplexContext;
$Katakana $ExFm* $Katakana {300};
$ALetterPlus $ExFm* $ExtendNumLet {200};
$Hebrew_Letter $ExFm* $ExtendNumLet {200};
$Numeric $ExFm* $ExtendNumLet {100};
$Katakana $ExFm* $ExtendNumLet {300};
$ExtendNumLet $ExFm* $ExtendNumLet {200};
$ExtendNumLet $ExFm* $ALetterPlus {200};
$ExtendNumLet $ExFm* $Hebrew_Letter {200};
$ExtendNumLet $ExFm* $Numeric {100};
$ExtendNumLet $ExFm* $Katakana {300};
^$Regional_Indicator $ExFm* $Regional_Indicator;
.;
)RULES";

// ASCII classes under the rules above. kBreak characters are never part of a word and never
// join their neighbours into one, so text can be cut at them and each piece segmented alone.
enum AsciiClass : uint8_t { kBreak, kLetter, kDigit, kUnderscore, kMidLetter, kMidNumLet, kMidNum, kQuote };

constexpr std::array<uint8_t, 128> make_ascii_classes() {
  std::array<uint8_t, 128> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kLetter;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kLetter;
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  t['_'] = kUnderscore;   // ExtendNumLet
  t[':'] = kMidLetter;    // MidLetter
  t['.'] = kMidNumLet;    // MidNumLet
  t['\''] = kMidNumLet;   // Single_Quote, which the rules treat as MidNumLet
  t[','] = kMidNum;       // MidNum
  t[';'] = kMidNum;       // MidNum
  t['"'] = kQuote;        // Double_Quote: joins Hebrew letters only, so not a safe cut point
  return t;
}
constexpr std::array<uint8_t, 128> kAscii = make_ascii_classes();

inline bool is_word_start(uint8_t c) { return c == kLetter || c == kDigit || c == kUnderscore; }

// Words of a piece of pure ASCII without kBreak characters: the rules above restricted to
// ASCII (WB5-WB13b; no Hebrew, Katakana or Extend there).
void scan_ascii(std::string_view s, std::vector<std::string_view>& out) {
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t c = kAscii[static_cast<unsigned char>(s[i])];
    if (!is_word_start(c)) {
      ++i;
      continue;
    }
    const size_t start = i;
    bool has_alnum = c != kUnderscore;
    uint8_t prev = c;
    size_t j = i + 1;
    while (j < n) {
      const uint8_t d = kAscii[static_cast<unsigned char>(s[j])];
      if (is_word_start(d)) {  // WB5, WB8, WB9, WB10, WB13a, WB13b
        has_alnum |= d != kUnderscore;
        prev = d;
        ++j;
        continue;
      }
      if (j + 1 < n) {
        const uint8_t e = kAscii[static_cast<unsigned char>(s[j + 1])];
        const bool letters = prev == kLetter && e == kLetter && (d == kMidLetter || d == kMidNumLet);  // WB6, WB7
        const bool digits = prev == kDigit && e == kDigit && (d == kMidNum || d == kMidNumLet);        // WB11, WB12
        if (letters || digits) {
          prev = e;
          j += 2;
          continue;
        }
      }
      break;
    }
    // Underscores alone are no word (Lucene has no token type for them).
    if (has_alnum) {
      if (j - start > WordBreaker::kMaxWordLength) {
        out.push_back(s.substr(start, WordBreaker::kMaxWordLength));
        i = start + WordBreaker::kMaxWordLength;  // restart segmentation after the cut
        continue;
      }
      out.push_back(s.substr(start, j - start));
    }
    i = j;
  }
}

int word_break_class(char32_t c) { return u_getIntPropertyValue(static_cast<UChar32>(c), UCHAR_WORD_BREAK); }

// Whether an ICU segment is a word: letters, numbers, kana and ideographs (status >= 100), but
// not ExtendNumLet alone; and, like Lucene's <EMOJI> tokens, emoji (Extended_Pictographic
// first) and flags (a Regional_Indicator pair), which UAX#29 leaves with status 0.
bool is_word(std::string_view seg, int32_t status) {
  size_t pos = 0;
  const char32_t first = decode_utf8(seg, pos);
  if (status >= UBRK_WORD_NUMBER && status < UBRK_WORD_IDEO_LIMIT) {
    if (word_break_class(first) != U_WB_EXTENDNUMLET) return true;
    while (pos < seg.size()) {
      const int wb = word_break_class(decode_utf8(seg, pos));
      if (wb != U_WB_EXTENDNUMLET && wb != U_WB_EXTEND && wb != U_WB_FORMAT && wb != U_WB_ZWJ) return true;
    }
    return false;
  }
  if (u_hasBinaryProperty(static_cast<UChar32>(first), UCHAR_EXTENDED_PICTOGRAPHIC)) return true;
  if (u_hasBinaryProperty(static_cast<UChar32>(first), UCHAR_REGIONAL_INDICATOR) && pos < seg.size()) {
    return u_hasBinaryProperty(static_cast<UChar32>(decode_utf8(seg, pos)), UCHAR_REGIONAL_INDICATOR);
  }
  return false;
}

// Bytes of the longest prefix of `word` within kMaxWordLength UTF-16 units (word.size() when
// the whole word fits). A surrogate pair is not split.
size_t max_length_prefix(std::string_view word) {
  if (word.size() <= WordBreaker::kMaxWordLength) return word.size();  // UTF-16 units <= bytes
  size_t units = 0;
  for (size_t pos = 0; pos < word.size();) {
    const size_t at = pos;
    const char32_t c = decode_utf8(word, pos);
    units += c >= 0x10000 ? 2 : 1;
    if (units > WordBreaker::kMaxWordLength) return at;
  }
  return word.size();
}

}  // namespace

WordBreaker::WordBreaker(std::unique_ptr<icu::RuleBasedBreakIterator> prototype) : prototype_(std::move(prototype)) {}

WordBreaker::~WordBreaker() = default;

core::Result<const WordBreaker*> WordBreaker::shared() {
  static const core::Result<const WordBreaker*> instance = []() -> core::Result<const WordBreaker*> {
    UErrorCode status = U_ZERO_ERROR;
    UParseError parse_error{};
    auto it = std::make_unique<icu::RuleBasedBreakIterator>(icu::UnicodeString(kRules), parse_error, status);
    if (U_FAILURE(status)) {
      return core::Status::internal("compiling the word break rules failed at rule line " +
                                    std::to_string(parse_error.line) + ": " + u_errorName(status));
    }
    return new WordBreaker(std::move(it));  // process lifetime
  }();
  return instance;
}

void WordBreaker::split_icu_chunk(std::string_view chunk, std::vector<std::string_view>& out) const {
  // RuleBasedBreakIterator is not thread-safe: each thread segments with its own clone.
  thread_local std::unique_ptr<icu::BreakIterator> it;
  if (!it) it.reset(prototype_->clone());

  size_t base = 0;
  while (base < chunk.size()) {
    const std::string_view rest = chunk.substr(base);
    UErrorCode status = U_ZERO_ERROR;
    UText text = UTEXT_INITIALIZER;
    utext_openUTF8(&text, rest.data(), static_cast<int64_t>(rest.size()), &status);
    it->setText(&text, status);
    if (U_FAILURE(status)) {  // only on allocation failure; nothing sensible to segment then
      utext_close(&text);
      return;
    }
    bool restart = false;
    int32_t start = it->first();
    for (int32_t end = it->next(); end != icu::BreakIterator::DONE; start = end, end = it->next()) {
      const std::string_view seg = rest.substr(start, end - start);
      if (!is_word(seg, it->getRuleStatus())) continue;
      const size_t keep = max_length_prefix(seg);
      out.push_back(seg.substr(0, keep));
      if (keep < seg.size()) {  // too long: cut, and segment again from the cut
        base += start + keep;
        restart = true;
        break;
      }
    }
    utext_close(&text);
    if (!restart) break;
  }
}

void WordBreaker::split(std::string_view utf8, std::vector<std::string_view>& out) const {
  const size_t n = utf8.size();
  size_t i = 0;
  while (i < n) {
    // Skip cut points, then take the piece up to the next one.
    while (i < n && static_cast<unsigned char>(utf8[i]) < 0x80 && kAscii[static_cast<unsigned char>(utf8[i])] == kBreak) ++i;
    const size_t start = i;
    bool ascii = true;
    while (i < n) {
      const auto b = static_cast<unsigned char>(utf8[i]);
      if (b >= 0x80) {
        ascii = false;
      } else if (kAscii[b] == kBreak) {
        break;
      }
      ++i;
    }
    if (i == start) continue;
    const std::string_view piece = utf8.substr(start, i - start);
    if (ascii) {
      scan_ascii(piece, out);
    } else {
      split_icu_chunk(piece, out);
    }
  }
}

void WordBreaker::split_with_icu(std::string_view utf8, std::vector<std::string_view>& out) const {
  split_icu_chunk(utf8, out);
}

}  // namespace anvil::text
