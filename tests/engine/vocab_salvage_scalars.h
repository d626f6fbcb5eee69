// Part of the vocabulary salvage (vocab_salvage.h): the values a damaged GGUF scalar may have had
// (those whose damaged form is the bytes present), and the rules that choose one where the file's
// structure cannot: token ids by the role their special token's text names, the token count for
// {arch}.vocab_size, the shortest decimal for floats, the most trailing zero bits otherwise.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/text/utf8.h"

namespace anvil::testing::salvage_detail {

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

// What a decoder with errors='replace' turns `bytes` into (valid UTF-8 stays as it is; a truncated
// sequence at the end becomes one U+FFFD, as when an ASCII byte follows).
inline std::string redamage(std::string_view bytes) {
  std::string out;
  for (size_t pos = 0; pos < bytes.size();) {
    const size_t start = pos;
    const char32_t cp = text::decode_utf8(bytes, pos);
    if (cp == text::kReplacementChar && bytes.substr(start, 3) != kFffd) {
      out += kFffd;
    } else {
      out.append(bytes.substr(start, pos - start));
    }
  }
  return out;
}

// The length of redamage(bytes) when it stands at damaged offset p of d, else npos (no copy made).
inline size_t redamaged_at(std::string_view bytes, std::string_view d, size_t p) {
  size_t q = p;
  for (size_t pos = 0; pos < bytes.size();) {
    if (static_cast<uint8_t>(bytes[pos]) < 0x80) {  // ASCII, most of a file: compared in place
      if (q >= d.size() || d[q] != bytes[pos]) return std::string_view::npos;
      ++q;
      ++pos;
      continue;
    }
    const size_t start = pos;
    const char32_t cp = text::decode_utf8(bytes, pos);
    const std::string_view piece =
        cp == text::kReplacementChar && bytes.substr(start, 3) != kFffd ? kFffd : bytes.substr(start, pos - start);
    if (d.size() - q < piece.size() || !std::equal(piece.begin(), piece.end(), d.begin() + static_cast<ptrdiff_t>(q))) {
      return std::string_view::npos;
    }
    q += piece.size();
  }
  return q - p;
}

// A candidate original value of a damaged scalar of `size` bytes: its bits (little-endian, the
// first byte lowest) and the damaged offset just past its damaged form.
struct ScalarCandidate {
  uint64_t raw = 0;
  size_t end = 0;
};

inline std::string scalar_bytes(uint64_t raw, size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>(raw >> (8 * i));
  return out;
}

// GGUF scalar value types (gguf.h's GgufType ids) that are signed or floating point.
inline bool is_signed_type(uint32_t type) { return type == 1 || type == 3 || type == 5 || type == 11; }
inline bool is_float_type(uint32_t type) { return type == 6 || type == 12; }

inline int64_t as_signed(uint64_t raw, size_t size) {
  if (size < 8 && (raw >> (8 * size - 1)) != 0) raw |= ~uint64_t{0} << (8 * size);  // sign-extend
  return static_cast<int64_t>(raw);
}
inline double as_double(uint64_t raw, size_t size) {
  if (size == 4) return std::bit_cast<float>(static_cast<uint32_t>(raw));
  return std::bit_cast<double>(raw);
}
// The value as an integer of GGUF `type` (unsigned values above 2^63 wrap: never a token id).
inline int64_t as_integer(uint64_t raw, size_t size, uint32_t type) {
  return is_signed_type(type) ? as_signed(raw, size) : static_cast<int64_t>(raw);
}

// Every `size`-byte value whose damaged form starts at damaged offset p and is followed by a key
// (as `key_at` says) or the end of the data, in increasing value order. A U+FFFD stands for one
// byte >= 0x80 or, when it is the only one in the field, for a lead byte with one or two
// continuation bytes; more than two damaged bytes in one field are not enumerated (empty result).
inline std::vector<ScalarCandidate> scalar_candidates(std::string_view d, size_t p, size_t size, uint32_t type,
                                                      const std::function<bool(size_t)>& key_at) {
  std::vector<int> units;  // the next `size` damaged units: a byte, or -1 for a U+FFFD
  for (size_t q = p; units.size() < size && q < d.size();) {
    const bool fffd = d.substr(q, 3) == kFffd;
    units.push_back(fffd ? -1 : static_cast<uint8_t>(d[q]));
    q += fffd ? 3 : 1;
  }
  const auto unknown = static_cast<int>(std::count(units.begin(), units.end(), -1));
  if (unknown > 2) return {};
  std::vector<uint64_t> raws;
  // What one U+FFFD may stand for, as (bits, width): a byte >= 0x80, or a lead byte E0..F4 with
  // one continuation byte, or F0..F4 with two.
  std::vector<std::pair<uint32_t, size_t>> expansions;
  for (uint32_t b = 0x80; b < 0x100; ++b) expansions.push_back({b, 1});
  if (unknown == 1) {
    for (uint32_t a = 0xE0; a < 0xF5; ++a) {
      for (uint32_t c = 0x80; c < 0xC0; ++c) {
        expansions.push_back({a | c << 8, 2});
        if (a < 0xF0) continue;
        for (uint32_t e = 0x80; e < 0xC0; ++e) expansions.push_back({a | c << 8 | e << 16, 3});
      }
    }
  }
  std::function<void(size_t, uint64_t, size_t)> expand = [&](size_t i, uint64_t acc, size_t len) {
    if (len == size) {
      raws.push_back(acc);
      return;
    }
    if (i >= units.size()) return;
    if (units[i] >= 0) return expand(i + 1, acc | uint64_t(units[i]) << (8 * len), len + 1);
    for (const auto& [bits, width] : expansions) {
      if (len + width <= size) expand(i + 1, acc | uint64_t(bits) << (8 * len), len + width);
    }
  };
  expand(0, 0, 0);
  std::sort(raws.begin(), raws.end());
  raws.erase(std::unique(raws.begin(), raws.end()), raws.end());
  std::vector<ScalarCandidate> out;
  std::vector<std::pair<size_t, bool>> key_seen;  // key_at by offset: few distinct ends
  for (uint64_t raw : raws) {
    const size_t n = redamaged_at(scalar_bytes(raw, size), d, p);
    if (n == std::string_view::npos) continue;
    const size_t end = p + n;
    auto seen = std::find_if(key_seen.begin(), key_seen.end(), [&](const auto& k) { return k.first == end; });
    if (seen == key_seen.end()) seen = key_seen.insert(key_seen.end(), {end, end == d.size() || key_at(end)});
    if (seen->second) out.push_back({raw, end});
  }
  auto value_less = [&](const ScalarCandidate& a, const ScalarCandidate& b) {
    if (is_float_type(type)) return as_double(a.raw, size) < as_double(b.raw, size);
    return as_integer(a.raw, size, type) < as_integer(b.raw, size, type);
  };
  std::sort(out.begin(), out.end(), value_less);
  return out;
}

// Significant digits of the shortest decimal that reads back as the float (1e-05 -> 1,
// 999992.0 -> 6); 99 for infinities and NaN.
inline int significant_digits(uint64_t raw, size_t size) {
  char buf[64];
  std::to_chars_result r;
  if (size == 4) {
    const auto f = static_cast<float>(as_double(raw, size));
    if (!std::isfinite(f)) return 99;
    r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  } else {
    const double v = as_double(raw, size);
    if (!std::isfinite(v)) return 99;
    r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  }
  std::string mantissa(buf, std::find(buf, r.ptr, 'e'));
  std::erase_if(mantissa, [](char c) { return c == '-' || c == '.'; });
  while (mantissa.size() > 1 && mantissa.back() == '0') mantissa.pop_back();
  return mantissa == "0" ? 1 : static_cast<int>(mantissa.size());
}

// Orders the candidates of a damaged float: the shortest decimal form first, then by value.
inline void order_float_candidates(std::vector<ScalarCandidate>& c, size_t size) {
  std::vector<std::pair<int, size_t>> keys;  // (digits, index): stable by value within a digit count
  for (size_t i = 0; i < c.size(); ++i) keys.push_back({significant_digits(c[i].raw, size), i});
  std::sort(keys.begin(), keys.end());
  std::vector<ScalarCandidate> sorted;
  for (const auto& k : keys) sorted.push_back(c[k.second]);
  c = std::move(sorted);
}

// What the salvager knows of the vocabulary when it resolves damaged integers (after all keys).
struct VocabView {
  const std::vector<std::string>* tokens = nullptr;  // tokenizer.ggml.tokens, when present
  const std::vector<int32_t>* types = nullptr;       // tokenizer.ggml.token_type, when present
};

// Whether a token's text has a special token's shape: <...>, [UPPER] or <|...|>.
inline bool special_shaped(std::string_view t) {
  if (t.size() >= 3 && t.front() == '<' && t.back() == '>' &&
      t.substr(1, t.size() - 2).find_first_of("<>") == std::string_view::npos) {
    return true;
  }
  if (t.size() >= 3 && t.front() == '[' && t.back() == ']' &&
      std::all_of(t.begin() + 1, t.end() - 1, [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return true;
  }
  return t.size() >= 5 && t.substr(0, 2) == "<|" && t.substr(t.size() - 2) == "|>" &&
         t.substr(2, t.size() - 4).find('|') == std::string_view::npos;
}

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// "[pad123]": the converter's filler for unused rows, the last choice for any role.
inline bool converter_filler(std::string_view lowered) {
  return lowered.size() > 5 && lowered.substr(0, 4) == "[pad" && lowered.back() == ']' &&
         std::all_of(lowered.begin() + 4, lowered.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
}

// Orders the candidates of a damaged integer scalar `key` (increasing value on entry) by the rule of
// its kind (see the file comment) and returns the rule's name.
inline std::string order_int_candidates(std::string_view key, uint32_t type, size_t size,
                                        std::vector<ScalarCandidate>& c, const VocabView& vocab) {
  auto value = [&](const ScalarCandidate& x) { return as_integer(x.raw, size, type); };
  constexpr std::string_view kIdSuffix = "_token_id";
  if (key.ends_with(kIdSuffix) && vocab.tokens != nullptr) {
    const auto& tokens = *vocab.tokens;
    const auto n = static_cast<int64_t>(tokens.size());
    auto special = [&](int64_t v) {
      if (v < 0 || v >= n) return false;
      if (vocab.types != nullptr && static_cast<size_t>(v) < vocab.types->size()) {
        const int32_t t = (*vocab.types)[static_cast<size_t>(v)];
        if (t == 2 || t == 3 || t == 4) return true;  // unknown, control, user-defined
      }
      return special_shaped(tokens[static_cast<size_t>(v)]);
    };
    const std::string_view name = key.substr(key.rfind('.') + 1);
    const std::string_view role = name.substr(0, name.size() - kIdSuffix.size());
    static const std::vector<std::string_view> kEnd = {"end_of_sentence",
                                                       "end\xE2\x96\x81of\xE2\x96\x81sentence", "eos",
                                                       "</s>", "endoftext", "end"};
    std::vector<std::string_view> hints;
    if (role == "bos") hints = {"begin", "bos", "<s>", "start"};
    if (role == "eos") hints = kEnd;
    if (role == "padding") {
      hints = {"pad"};
      hints.insert(hints.end(), kEnd.begin(), kEnd.end());
    }
    if (role == "unknown") hints = {"unk"};
    if (role == "seperator") hints = {"sep"};
    if (role == "cls") hints = {"cls"};
    if (role == "mask") hints = {"mask"};
    auto rank = [&](int64_t v) {
      const std::string text = ascii_lower(tokens[static_cast<size_t>(v)]);
      if (converter_filler(text)) return hints.size() + 1;
      for (size_t h = 0; h < hints.size(); ++h) {
        if (text.find(hints[h]) != std::string::npos) return h;
      }
      return hints.size();
    };
    // Special tokens first, best-named first; then the others, in increasing value.
    const auto others =
        std::stable_partition(c.begin(), c.end(), [&](const ScalarCandidate& x) { return special(value(x)); });
    std::stable_sort(c.begin(), others, [&](const ScalarCandidate& a, const ScalarCandidate& b) {
      return rank(value(a)) < rank(value(b));
    });
    return "the special token whose text names its role";
  }
  if (key.ends_with(".vocab_size") && vocab.tokens != nullptr) {
    const auto n = static_cast<int64_t>(vocab.tokens->size());
    std::stable_partition(c.begin(), c.end(), [&](const ScalarCandidate& x) { return value(x) == n; });
    return "the token count";
  }
  auto zeros = [&](const ScalarCandidate& x) { return x.raw == 0 ? 64 : std::countr_zero(x.raw); };
  std::stable_sort(c.begin(), c.end(),
                   [&](const ScalarCandidate& a, const ScalarCandidate& b) { return zeros(a) > zeros(b); });
  return "the most trailing zero bits";
}

}  // namespace anvil::testing::salvage_detail
