#include "anvil/text/estimated_token_counter.h"

#include <array>
#include <cstdint>

#include <unicode/uchar.h>

#include "anvil/text/utf8.h"

namespace anvil::text {
namespace {

enum Cls : uint8_t { kSpace, kNewline, kLetter, kDigit, kPunct, kCjk, kWidePunct, kOther, kNonAscii };

// Class of every byte: ASCII by character, bytes >= 0x80 as kNonAscii (decoded separately).
constexpr std::array<uint8_t, 256> make_byte_table() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t k = kOther;  // control characters
    if (c >= 128) k = kNonAscii;
    else if (c == ' ' || c == '\t' || c == '\f' || c == '\v') k = kSpace;
    else if (c == '\n' || c == '\r') k = kNewline;
    else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) k = kLetter;
    else if (c >= '0' && c <= '9') k = kDigit;
    else if (c > ' ' && c < 127) k = kPunct;
    t[static_cast<size_t>(c)] = k;
  }
  return t;
}
constexpr std::array<uint8_t, 256> kByteClass = make_byte_table();

inline uint8_t byte_class(char c) { return kByteClass[static_cast<unsigned char>(c)]; }

// Class of the non-ASCII code point at s[i]; sets `next` past it.
Cls classify_non_ascii(std::string_view s, size_t i, size_t& next) {
  next = i;
  const char32_t cp = decode_utf8(s, next);
  if (is_cjk(cp)) return kCjk;
  switch (u_charType(static_cast<UChar32>(cp))) {
    case U_UPPERCASE_LETTER: case U_LOWERCASE_LETTER: case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER: case U_OTHER_LETTER: case U_NON_SPACING_MARK:
    case U_ENCLOSING_MARK: case U_COMBINING_SPACING_MARK:
      return kLetter;
    case U_DECIMAL_DIGIT_NUMBER:
      return kDigit;
    case U_SPACE_SEPARATOR:
      return kSpace;
    case U_LINE_SEPARATOR: case U_PARAGRAPH_SEPARATOR:
      return kNewline;
    case U_DASH_PUNCTUATION: case U_START_PUNCTUATION: case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION: case U_OTHER_PUNCTUATION: case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
      return kWidePunct;
    default:
      return kOther;
  }
}

// Cost in tenths of a run of `run` code points of class k; `weight` counts non-ASCII letters twice.
inline size_t run_cost(uint8_t k, size_t run, size_t weight) {
  switch (k) {
    case kLetter:
      return weight <= 8 ? 10 : 10 + 3 * (weight - 8);
    case kDigit:
      return 10 * ((run + 2) / 3) + 3;
    case kPunct:
      return 10 + 5 * (run - 1);
    case kNewline:
      return 10;
    case kSpace:
      return run == 1 ? 0 : 10;
    default:
      return 0;
  }
}

}  // namespace

size_t EstimatedTokenCounter::count_tenths(std::string_view s) {
  const size_t n = s.size();
  const char* d = s.data();
  size_t total = 0;
  size_t i = 0;
  while (i < n) {
    uint8_t k = byte_class(d[i]);
    size_t run = 0;
    size_t weight = 0;
    if (k == kNonAscii) {
      size_t next = 0;
      k = classify_non_ascii(s, i, next);
      i = next;
      if (k == kCjk || k == kWidePunct) {
        total += 10;
        continue;
      }
      if (k == kOther) {
        total += 20;
        continue;
      }
      run = 1;
      weight = k == kLetter ? 2 : 1;
    } else if (k == kOther) {
      total += 20;
      ++i;
      continue;
    }
    // Extend the run: ASCII bytes of the same class in a tight loop, non-ASCII code points of
    // the same class (accented letters, full-width digits) through the decoder.
    for (;;) {
      const size_t start = i;
      while (i < n && kByteClass[static_cast<unsigned char>(d[i])] == k) ++i;
      run += i - start;
      weight += i - start;
      if (i >= n || byte_class(d[i]) != kNonAscii || k == kPunct) break;
      size_t next = 0;
      if (classify_non_ascii(s, i, next) != k) break;
      ++run;
      weight += k == kLetter ? 2 : 1;
      i = next;
    }
    total += run_cost(k, run, weight);
  }
  return total;
}

size_t EstimatedTokenCounter::count(std::string_view utf8) const {
  return (count_tenths(utf8) + 9) / 10;
}

}  // namespace anvil::text
