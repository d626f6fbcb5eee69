// Test-only repair of the shared vocabulary files (../shared/data/tokenizer/*.gguf). They reached
// this machine damaged: every byte sequence that was not valid UTF-8 was replaced by U+FFFD
// (EF BF BD), as a text decoder with errors='replace' does. Strings (keys, tokens, merges) survive;
// numbers with a byte >= 0x80 do not, and the file no longer parses as GGUF. salvage_gguf() walks
// the GGUF structure over the damaged bytes and rebuilds a metadata-only GGUF:
// - a damaged string length or string-array count is the candidate value that makes the next
//   bytes parse (the count of a string array ends where the next "tokenizer."/"general." key
//   starts);
// - a damaged token-id scalar (bos_token_id = 50256 = 50 C4 00 00) is dropped, so the defaults
//   apply (the test vectors never add BOS/EOS);
// - float arrays (SentencePiece scores) are rebuilt from the model SentencePiece's BPE trainer
//   follows: each score is 0, -1e9 or -(id - k) with one k for the whole array; the rebuilt bytes
//   must re-damage into exactly the damaged bytes, or salvage fails;
// - other damaged numbers (hyper-parameters) get 0x80 bytes: the tokenizer does not read them.
// Anything it cannot rebuild is reported in `why` and nothing is returned.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/text/utf8.h"

namespace anvil::testing {

namespace salvage_detail {

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

// What a decoder with errors='replace' turns `bytes` into (valid UTF-8 stays as it is).
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

class Salvager {
 public:
  explicit Salvager(std::string_view damaged) : d_(damaged) {}

  std::optional<std::string> run(std::string* why) {
    why_ = why;
    if (d_.substr(0, 4) != "GGUF") return fail("no GGUF magic");
    p_ = 4;
    uint8_t b[8], unknown[8];
    if (!fixed(4, b, unknown) || any(unknown, 4)) return fail("damaged version");
    if (!fixed(8, b, unknown) || any(unknown, 8) || u64(b) != 0) return fail("tensors present or damaged count");
    if (!fixed(8, b, unknown) || any(unknown, 8)) return fail("damaged key count");
    const uint64_t n_kv = u64(b);
    std::string kvs;
    uint64_t kept = 0;
    for (uint64_t i = 0; i < n_kv; ++i) {
      std::string key;
      if (!string_value(key)) return fail("damaged key " + std::to_string(i));
      if (!fixed(4, b, unknown) || any(unknown, 4)) return fail("damaged type of " + key);
      const uint32_t type = static_cast<uint32_t>(u64(b, 4));
      std::string value;
      bool drop = false;
      if (!value_of(key, type, value, drop)) return fail("cannot rebuild '" + key + "': " + detail_);
      if (drop) continue;
      put_string(kvs, key);
      put(kvs, type, 4);
      kvs += value;
      ++kept;
    }
    std::string out = "GGUF";
    out.append(d_.substr(4, 4));
    put(out, 0, 8);
    put(out, kept, 8);
    return out + kvs;
  }

 private:
  std::optional<std::string> fail(const std::string& m) {
    if (why_ != nullptr) *why_ = m + " (at damaged offset " + std::to_string(p_) + ")";
    return std::nullopt;
  }
  static bool any(const uint8_t* u, int k) {
    for (int i = 0; i < k; ++i) {
      if (u[i]) return true;
    }
    return false;
  }
  static uint64_t u64(const uint8_t* b, int k = 8) {
    uint64_t v = 0;
    for (int i = k - 1; i >= 0; --i) v = v << 8 | b[i];
    return v;
  }
  static void put(std::string& out, uint64_t v, int k) {
    for (int i = 0; i < k; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  }
  static void put_string(std::string& out, std::string_view s) {
    put(out, s.size(), 8);
    out.append(s);
  }
  static size_t scalar_size(uint32_t type) {
    switch (type) {
      case 0: case 1: case 7: return 1;
      case 2: case 3: return 2;
      case 4: case 5: case 6: return 4;
      case 10: case 11: case 12: return 8;
      default: return 0;
    }
  }

  // Reads k original bytes at p_; each U+FFFD stands for one unknown byte.
  bool fixed(int k, uint8_t* bytes, uint8_t* unknown, size_t* at = nullptr) {
    size_t& p = at != nullptr ? *at : p_;
    for (int i = 0; i < k; ++i) {
      if (p >= d_.size()) return false;
      if (d_.substr(p, 3) == kFffd) {
        bytes[i] = 0x80;
        unknown[i] = 1;
        p += 3;
      } else {
        bytes[i] = static_cast<uint8_t>(d_[p]);
        unknown[i] = 0;
        p += 1;
      }
    }
    return true;
  }

  // Does a key this salvager knows follow at q ("tokenizer.*" or "general.*"), or the end?
  bool key_follows(size_t q) {
    if (q == d_.size()) return true;
    uint8_t b[8], u[8];
    if (!fixed(8, b, u, &q) || any(u, 8)) return false;
    const uint64_t len = u64(b);
    if (len < 8 || len > 128 || q + len + 4 > d_.size()) return false;
    const std::string_view key = d_.substr(q, len);
    if (key.substr(0, 10) != "tokenizer." && key.substr(0, 8) != "general.") return false;
    for (char c : key) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
    }
    return static_cast<uint8_t>(d_[q + len]) <= 12 && d_.substr(q + len + 1, 3) == std::string_view("\0\0\0", 3);
  }

  // Does a plausible array string start at q: a length with zero high bytes (one damaged low
  // byte allowed) and, when the length is intact, valid UTF-8 content followed by another such
  // string or a key, `depth` strings deep?
  bool string_follows(size_t q, int depth) {
    if (depth == 0 || key_follows(q)) return true;
    uint8_t b[8], u[8];
    if (!fixed(8, b, u, &q)) return false;
    int unknown = 0;
    for (int i = 0; i < 8; ++i) {
      if (u[i]) ++unknown;
      if (i >= 3 && (u[i] || b[i])) return false;
    }
    if (unknown > 0) return unknown == 1;
    const uint64_t len = u64(b);
    const size_t end = q + len;
    if (end > d_.size() || !text::is_valid_utf8(d_.substr(q, len))) return false;
    if (end < d_.size() && (static_cast<uint8_t>(d_[end]) & 0xC0) == 0x80) return false;
    return string_follows(end, depth - 1);
  }

  bool string_value(std::string& s, bool in_array = false) {
    uint8_t b[8], u[8];
    if (!fixed(8, b, u)) return false;
    if (!any(u, 8)) {
      const uint64_t len = u64(b);
      if (p_ + len > d_.size()) return false;
      s.assign(d_.substr(p_, len));
      p_ += len;
      return true;
    }
    // One damaged byte (a length of 128 or more): the candidate after which the next item parses.
    int at = -1;
    for (int i = 0; i < 8; ++i) {
      if (u[i]) {
        if (at >= 0) return false;
        at = i;
      }
    }
    for (int v = 0x80; v <= 0xFF; ++v) {
      b[at] = static_cast<uint8_t>(v);
      const uint64_t len = u64(b);
      const size_t end = p_ + len;
      if (end > d_.size()) continue;
      if (end < d_.size() && (static_cast<uint8_t>(d_[end]) & 0xC0) == 0x80) continue;  // mid-character
      if (!text::is_valid_utf8(d_.substr(p_, len))) continue;
      if (in_array && !string_follows(end, 3)) continue;
      s.assign(d_.substr(p_, len));
      p_ = end;
      return true;
    }
    return false;
  }

  bool value_of(const std::string& key, uint32_t type, std::string& out, bool& drop) {
    uint8_t b[8], u[8];
    if (type == 8) {
      std::string s;
      if (!string_value(s)) return (detail_ = "damaged string", false);
      put_string(out, s);
      return true;
    }
    if (type == 9) return array_of(key, out);
    const size_t n = scalar_size(type);
    if (n == 0) return (detail_ = "unknown type " + std::to_string(type), false);
    if (!fixed(static_cast<int>(n), b, u)) return (detail_ = "truncated", false);
    if (any(u, static_cast<int>(n)) && key.rfind("tokenizer.", 0) == 0) {
      drop = true;  // a damaged token id: let the defaults apply
      return true;
    }
    for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(b[i]));
    return true;
  }

  bool array_of(const std::string& key, std::string& out) {
    uint8_t b[8], u[8];
    if (!fixed(4, b, u) || any(u, 4)) return (detail_ = "damaged element type", false);
    const uint32_t elem = static_cast<uint32_t>(u64(b, 4));
    if (!fixed(8, b, u)) return (detail_ = "truncated", false);
    const bool count_known = !any(u, 8);
    const uint64_t count = u64(b);
    put(out, elem, 4);
    if (elem == 8) {
      std::vector<std::string> items;
      while (count_known ? items.size() < count : !key_follows(p_)) {
        std::string s;
        if (!string_value(s, true)) return (detail_ = "damaged string " + std::to_string(items.size()), false);
        items.push_back(std::move(s));
      }
      if (!count_known && !matches_known_bytes(items.size(), b, u)) {
        return (detail_ = "rebuilt count " + std::to_string(items.size()) + " contradicts its surviving bytes", false);
      }
      put(out, items.size(), 8);
      for (const auto& s : items) put_string(out, s);
      if (key == "tokenizer.ggml.tokens") n_tokens_ = items.size();
      return true;
    }
    uint64_t n = count;
    if (!count_known) {
      if (n_tokens_ == 0 || !matches_known_bytes(n_tokens_, b, u)) return (detail_ = "damaged count", false);
      n = n_tokens_;
    }
    put(out, n, 8);
    if (elem == 6) return floats(n, out);
    const size_t size = scalar_size(elem);
    if (size == 0) return (detail_ = "unsupported element type", false);
    for (uint64_t i = 0; i < n; ++i) {
      if (!fixed(static_cast<int>(size), b, u) || any(u, static_cast<int>(size))) {
        return (detail_ = "damaged element " + std::to_string(i), false);
      }
      for (size_t k = 0; k < size; ++k) out.push_back(static_cast<char>(b[k]));
    }
    return true;
  }

  static bool matches_known_bytes(uint64_t v, const uint8_t* b, const uint8_t* u) {
    for (int i = 0; i < 8; ++i) {
      const auto byte = static_cast<uint8_t>(v >> (8 * i));
      if (u[i] ? byte < 0x80 : byte != b[i]) return false;
    }
    return true;
  }

  // Rebuilds n float32 values (see the file comment) by depth-first search with backtracking.
  bool floats(uint64_t n, std::string& out) {
    struct Frame {
      int next_candidate;
      size_t o_size, c, q;  // original bytes so far, committed original / damaged offsets
      int64_t k;            // -(id - k) pattern offset, or INT64_MIN while unknown
    };
    const size_t dq = p_;
    std::string o;
    std::vector<Frame> stack;
    stack.push_back({0, 0, 0, 0, INT64_MIN});
    auto candidate = [](int idx, uint64_t i, int64_t k, float& v) {
      switch (idx) {
        case 0: if (k == INT64_MIN) return false; v = -static_cast<float>(static_cast<int64_t>(i) - k); return true;
        case 1: v = 0.0f; return true;
        case 2: v = -1e9f; return true;
        case 3: if (k != INT64_MIN) return false; v = -1.0f; return true;
        default: return false;
      }
    };
    // Re-damages committed chunks of o while enough lookahead exists; false on a mismatch.
    auto advance = [&](size_t& c, size_t& q, bool final) {
      std::string tail;
      std::string_view s = o;
      if (final) {
        tail = o + '\0';  // the next key's length byte is ASCII: any ASCII byte ends a sequence
        s = tail;
      }
      while (c < o.size() && (final || c + 4 <= o.size())) {
        size_t pos = c;
        const char32_t cp = text::decode_utf8(s, pos);
        const std::string_view raw = s.substr(c, pos - c);
        const std::string_view got = (cp == text::kReplacementChar && raw != kFffd) ? kFffd : raw;
        if (d_.substr(dq + q, got.size()) != got) return false;
        q += got.size();
        c = pos;
      }
      return true;
    };
    while (!stack.empty()) {
      Frame& f = stack.back();
      const uint64_t i = stack.size() - 1;
      if (i == n) {
        size_t c = f.c, q = f.q;
        if (advance(c, q, true)) {
          out += o;
          p_ = dq + q;
          return true;
        }
        stack.pop_back();
        if (!stack.empty()) o.resize(stack.back().o_size);
        continue;
      }
      float v = 0;
      bool placed = false;
      while (f.next_candidate < 4 && !placed) {
        const int idx = f.next_candidate++;
        if (!candidate(idx, i, f.k, v)) continue;
        o.resize(f.o_size);
        o.append(reinterpret_cast<const char*>(&v), 4);
        size_t c = f.c, q = f.q;
        if (!advance(c, q, false)) continue;
        int64_t k = f.k;
        if (idx == 0 || idx == 3) k = static_cast<int64_t>(i) + static_cast<int64_t>(v);
        stack.push_back({0, o.size(), c, q, k});
        placed = true;
      }
      if (!placed) {
        stack.pop_back();
        if (stack.empty()) break;
        o.resize(stack.back().o_size);
      }
    }
    detail_ = "no score model re-damages into the damaged bytes";
    return false;
  }

  std::string_view d_;
  size_t p_ = 0;
  uint64_t n_tokens_ = 0;
  std::string detail_;
  std::string* why_ = nullptr;
};

}  // namespace salvage_detail

// Rebuilds a metadata-only GGUF from a damaged one (see above); nullopt with `why` when it cannot.
inline std::optional<std::string> salvage_gguf(std::string_view damaged, std::string* why) {
  return salvage_detail::Salvager(damaged).run(why);
}

}  // namespace anvil::testing
