#include "anvil/text/utf8.h"

#include <cstdint>
#include <cstring>

namespace anvil::text {
namespace {

constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// Number of continuation bytes (10xxxxxx) in a word: bit 7 set and bit 6 clear, summed with a
// multiply so that no POPCNT instruction is needed.
inline size_t continuation_bytes(uint64_t w) {
  const uint64_t marks = (w & ~(w << 1) & kHighBits) >> 7;  // 0 or 1 per byte
  return static_cast<size_t>((marks * 0x0101010101010101ULL) >> 56);
}

inline uint64_t load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Length of the well-formed sequence at s[pos] (1..4), or 0 when it is ill-formed or truncated.
// `limit` is the number of bytes available from pos.
inline int sequence_length(const unsigned char* p, size_t limit) {
  const unsigned char b0 = p[0];
  if (b0 < 0x80) return 1;
  auto cont = [&](size_t i, unsigned char lo, unsigned char hi) {
    return i < limit && p[i] >= lo && p[i] <= hi;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;  // E0: no overlongs
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;  // ED: no surrogates
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;  // F0: no overlongs
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;  // F4: nothing above U+10FFFF
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

// Number of bytes a lead byte announces (0 for continuation and invalid lead bytes).
inline int announced_length(unsigned char b0) {
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return 2;
  if (b0 >= 0xE0 && b0 <= 0xEF) return 3;
  if (b0 >= 0xF0 && b0 <= 0xF4) return 4;
  return 0;
}

}  // namespace

std::optional<size_t> find_invalid_utf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    // ASCII fast path: 16 bytes per step while no high bit is set.
    while (i + 16 <= n && ((load64(bytes.data() + i) | load64(bytes.data() + i + 8)) & kHighBits) == 0) {
      i += 16;
    }
    if (i >= n) break;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const int len = sequence_length(p + i, n - i);
    if (len == 0) return i;
    i += static_cast<size_t>(len);
  }
  return std::nullopt;
}

size_t incomplete_utf8_suffix(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  // Find the last lead byte among the final three bytes.
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const unsigned char b = p[n - back];
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking back
    const int want = announced_length(b);
    if (want <= static_cast<int>(back)) return 0;  // complete (or ASCII / invalid lead)
    // Cut short: keep it only if the bytes present are a valid prefix. sequence_length reports 0
    // for truncation, so check a padded copy.
    // Pad with the smallest continuation bytes the lead byte allows (E0 needs A0, F0 needs 90).
    unsigned char buf[4] = {b, static_cast<unsigned char>(b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80),
                            0x80, 0x80};
    for (size_t k = 1; k < back; ++k) buf[k] = p[n - back + k];
    return sequence_length(buf, 4) == want ? back : 0;
  }
  return 0;
}

size_t count_code_points(std::string_view utf8) {
  const char* s = utf8.data();
  const size_t n = utf8.size();
  size_t continuation = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    continuation += continuation_bytes(load64(s + i));
  }
  for (; i < n; ++i) continuation += (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80;
  return n - continuation;
}

size_t byte_offset_of_code_point(std::string_view utf8, size_t index) {
  const char* s = utf8.data();
  const size_t n = utf8.size();
  size_t i = 0;
  // Skip whole words while the remaining index is large.
  while (i + 8 <= n && index >= 8) {
    const size_t starts = 8 - continuation_bytes(load64(s + i));
    if (starts > index) break;  // the target lead byte is inside this word
    index -= starts;
    i += 8;
  }
  for (; i < n; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (index == 0) return i;
      --index;
    }
  }
  return n;
}

size_t floor_boundary(std::string_view utf8, size_t pos) {
  if (pos >= utf8.size()) return utf8.size();
  // At most three continuation bytes precede a boundary in well-formed text.
  size_t p = pos;
  while (p > 0 && pos - p < 3 && (static_cast<unsigned char>(utf8[p]) & 0xC0) == 0x80) --p;
  return p;
}

char32_t decode_utf8(std::string_view utf8, size_t& pos) {
  const auto* p = reinterpret_cast<const unsigned char*>(utf8.data()) + pos;
  const size_t limit = utf8.size() - pos;
  const unsigned char b0 = p[0];
  if (b0 < 0x80) {
    pos += 1;
    return b0;
  }
  const int len = sequence_length(p, limit);
  switch (len) {
    case 2:
      pos += 2;
      return (char32_t(b0 & 0x1F) << 6) | (p[1] & 0x3F);
    case 3:
      pos += 3;
      return (char32_t(b0 & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    case 4:
      pos += 4;
      return (char32_t(b0 & 0x07) << 18) | (char32_t(p[1] & 0x3F) << 12) |
             (char32_t(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    default:
      break;
  }
  // Ill-formed: skip the maximal prefix that could have started a valid sequence.
  const int want = announced_length(b0);
  size_t skip = 1;
  if (want > 1) {
    unsigned char buf[4] = {b0, 0x80, 0x80, 0x80};
    for (size_t k = 1; k < static_cast<size_t>(want) && k < limit; ++k) {
      buf[k] = p[k];
      if (sequence_length(buf, 4) != want) break;
      skip = k + 1;
    }
  }
  pos += skip;
  return kReplacementChar;
}

void append_utf8(std::string& out, char32_t cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = kReplacementChar;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) ||    // CJK Unified Ideographs
         (cp >= 0x3400 && cp <= 0x4DBF) ||    // Extension A
         (cp >= 0x20000 && cp <= 0x323AF) ||  // Extensions B..H
         (cp >= 0xF900 && cp <= 0xFAFF) ||    // Compatibility Ideographs
         (cp >= 0x3040 && cp <= 0x30FF) ||    // Hiragana, Katakana
         (cp >= 0x31F0 && cp <= 0x31FF) ||    // Katakana Phonetic Extensions
         (cp >= 0x3100 && cp <= 0x312F) ||    // Bopomofo
         (cp >= 0xAC00 && cp <= 0xD7AF) ||    // Hangul Syllables
         (cp >= 0x1100 && cp <= 0x11FF) ||    // Hangul Jamo
         cp == 0x3005 || cp == 0x3007;         // 々 〇
}

}  // namespace anvil::text
