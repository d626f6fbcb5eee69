// Test-only repair of the shared vocabulary files (../shared/data/tokenizer/*.gguf), the one
// implementation (the tokenizer tests call it in memory; the Python reference runs it through the
// vocab_salvage tool). The files reached this machine damaged: every byte sequence that was not
// valid UTF-8 was replaced by U+FFFD (EF BF BD), as a text decoder with errors='replace' does.
// Strings (keys, tokens, merges) survive; numbers with a byte >= 0x80 do not, and the file no
// longer parses as GGUF. salvage_gguf() walks the GGUF structure over the damaged bytes and rebuilds
// the original metadata-only GGUF:
// - a damaged string length is the candidate value after which the next strings parse (at most
//   4096 bytes, valid UTF-8 without NUL, four strings deep); a damaged string-array count is the
//   number of strings up to the next "tokenizer."/"general." key, and must re-damage into the
//   damaged bytes (a U+FFFD may stand for up to 3 bytes: a lead byte and its continuations);
// - a damaged numeric-array count is the token count, when that re-damages into the damaged bytes;
// - float arrays (SentencePiece scores) are rebuilt from the values SentencePiece's BPE trainer
//   and llama.cpp's converter give: each score is 0, -1000, -10000, -1e9 or -(id - k) with one k
//   for the whole array, found by depth-first search;
// - a damaged scalar takes, among the values whose damaged form is the bytes present and after
//   which a key follows, the one a rule picks (each choice is listed in `notes`): a token id, the
//   special token whose text names its role ("bos" -> "<s>", "begin..."); {arch}.vocab_size, the
//   token count; a float, the shortest decimal form (1e-05); another integer, the most trailing
//   zero bits.
// The rebuilt file must re-damage into exactly the damaged bytes, or salvage fails; anything it
// cannot rebuild is reported in `why` and nothing is returned.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/text/utf8.h"
#include "vocab_salvage_scalars.h"  // beside this file: benches include it by path

namespace anvil::testing {

namespace salvage_detail {

class Salvager {
 public:
  // No token or merge is longer; bounds the lengths tried when the bytes are damaged.
  static constexpr uint64_t kMaxArrayString = 4096;

  explicit Salvager(std::string_view damaged) : d_(damaged) {}

  std::optional<std::string> run(std::string* why) {
    why_ = why;
    if (d_.substr(0, 4) != "GGUF") return fail("no GGUF magic");
    p_ = 4;
    uint8_t b[8], unknown[8];
    if (!fixed(4, b, unknown) || any(unknown, 4)) return fail("damaged version");
    if (!fixed(8, b, unknown) || any(unknown, 8) || u64(b) != 0) return fail("tensors present or damaged count");
    if (!fixed(8, b, unknown) || any(unknown, 8)) return fail("damaged key count");
    std::string out(d_.substr(0, 24));
    out.reserve(d_.size());
    for (uint64_t i = 0, n_kv = u64(b); i < n_kv; ++i) {
      std::string key;
      if (!string_value(key)) return fail("damaged key " + std::to_string(i));
      if (!fixed(4, b, unknown) || any(unknown, 4)) return fail("damaged type of " + key);
      const uint32_t type = static_cast<uint32_t>(u64(b, 4));
      put_string(out, key);
      put(out, type, 4);
      if (!value_of(key, type, out)) return fail("cannot rebuild '" + key + "': " + detail_);
    }
    resolve_deferred(out);
    if (redamaged_at(out, d_, 0) != d_.size()) {
      return fail("the rebuilt file does not re-damage into the damaged bytes");
    }
    return out;
  }

  // The choices the structure did not force: "key = value (rule)".
  const std::vector<std::string>& notes() const { return notes_; }

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

  // The length of a plausible array string at q (one damaged low byte allowed, resolved by
  // trying its values), such that `depth` more strings or a key follow; nullopt when none fits.
  std::optional<uint64_t> string_at(size_t q, int depth) {
    uint8_t b[8], u[8];
    if (!fixed(8, b, u, &q)) return std::nullopt;
    int at = -1;
    for (int i = 0; i < 8; ++i) {
      if (i >= 3 && (u[i] || b[i])) return std::nullopt;
      if (u[i]) {
        if (at >= 0) return std::nullopt;
        at = i;
      }
    }
    for (int v = at < 0 ? 0 : 0x80; v <= (at < 0 ? 0 : 0xFF); ++v) {
      if (at >= 0) b[at] = static_cast<uint8_t>(v);
      const uint64_t len = u64(b);
      const size_t end = q + len;
      if (len > kMaxArrayString || end > d_.size()) continue;
      if (end < d_.size() && (static_cast<uint8_t>(d_[end]) & 0xC0) == 0x80) continue;  // mid-character
      if (!text::is_valid_utf8(d_.substr(q, len))) continue;
      // Tokens and merges hold no NUL (byte-level BPE spells byte 0 as U+0100), while a length
      // field swallowed by a wrong guess does.
      if (d_.substr(q, len).find('\0') != std::string_view::npos) continue;
      if (depth == 0 || key_follows(end) || string_at(end, depth - 1)) return len;
    }
    return std::nullopt;
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
    // One damaged byte (a length of 128 or more): the value after which the next strings parse.
    p_ -= 8 + 2 * static_cast<size_t>(std::count(u, u + 8, 1));
    const auto len = in_array ? string_at(p_, 4) : std::nullopt;
    if (!len) return false;
    fixed(8, b, u);
    s.assign(d_.substr(p_, *len));
    p_ += *len;
    return true;
  }

  bool value_of(const std::string& key, uint32_t type, std::string& out) {
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
    const size_t at = p_;
    if (!fixed(static_cast<int>(n), b, u)) return (detail_ = "truncated", false);
    if (!any(u, static_cast<int>(n))) {
      out.append(reinterpret_cast<const char*>(b), n);
      return true;
    }
    auto cands = scalar_candidates(d_, at, n, type, [this](size_t q) { return any_key_at(q); });
    if (cands.empty()) return (detail_ = "no value re-damages into the damaged bytes before a key", false);
    if (is_float_type(type)) {
      order_float_candidates(cands, n);
      p_ = cands.front().end;
      out += scalar_bytes(cands.front().raw, n);
      notes_.push_back(key + ": damaged float, the shortest decimal form of " + std::to_string(cands.size()) +
                       " candidates");
      return true;
    }
    // Integers are chosen once the vocabulary is known (token ids name special tokens).
    p_ = cands.back().end;
    deferred_.push_back({key, type, n, out.size(), std::move(cands)});
    out.append(n, '\0');
    return true;
  }

  // Chooses the deferred integers (see the file comment) and writes them at their places in `out`.
  void resolve_deferred(std::string& out) {
    const VocabView vocab{n_tokens_ > 0 ? &tokens_ : nullptr, token_types_.empty() ? nullptr : &token_types_};
    for (auto& d : deferred_) {
      std::string rule = "the only candidate";
      if (d.candidates.size() > 1) rule = order_int_candidates(d.key, d.type, d.size, d.candidates, vocab);
      const uint64_t raw = d.candidates.front().raw;
      out.replace(d.offset, d.size, scalar_bytes(raw, d.size));
      const int64_t value = as_integer(raw, d.size, d.type);
      notes_.push_back(d.key + " = " + std::to_string(value) + " (damaged; " + rule + ", of " +
                       std::to_string(d.candidates.size()) + " candidates)");
    }
  }

  // Whether a metadata key starts at damaged offset q: a u64 length below 128, a dotted snake_case
  // name, then a value type <= 12.
  bool any_key_at(size_t q) {
    uint8_t b[8], u[8];
    if (!fixed(8, b, u, &q) || any(u, 8)) return false;
    const uint64_t len = u64(b);
    if (len < 1 || len >= 128 || q + len + 4 > d_.size()) return false;
    const std::string_view key = d_.substr(q, len);
    bool dot = false;
    for (size_t i = 0; i < key.size(); ++i) {
      const char c = key[i];
      const bool word = (c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '_'));
      if (c == '.') {
        if (i == 0 || i + 1 == key.size() || key[i - 1] == '.') return false;
        dot = true;
      } else if (!word) {
        return false;
      }
    }
    return dot && static_cast<uint8_t>(d_[q + len]) <= 12 && d_.substr(q + len + 1, 3) == std::string_view("\0\0\0", 3);
  }

  bool array_of(const std::string& key, std::string& out) {
    uint8_t b[8], u[8];
    if (!fixed(4, b, u) || any(u, 4)) return (detail_ = "damaged element type", false);
    const uint32_t elem = static_cast<uint32_t>(u64(b, 4));
    const size_t count_at = p_;
    if (!fixed(8, b, u)) return (detail_ = "truncated", false);
    const bool count_known = !any(u, 8);
    const uint64_t count = u64(b);
    put(out, elem, 4);
    // A damaged count: each U+FFFD may stand for 1 to 3 bytes (an invalid lead byte alone, or a
    // lead byte with the continuation bytes that followed it).
    auto count_fits = [&](uint64_t c, size_t end) {
      std::string bytes;
      put(bytes, c, 8);
      return d_.substr(count_at, end - count_at) == redamage(bytes);
    };
    if (elem == 8) {
      if (!count_known) {
        // Where does the damaged count end? Where a string (or a key) starts: the count itself is
        // checked once the strings are counted.
        bool found = false;
        for (size_t end = count_at + 8; end <= count_at + 24 && end <= d_.size() && !found; ++end) {
          if (key_follows(end) || string_at(end, 4)) {
            p_ = end;
            found = true;
          }
        }
        if (!found) return (detail_ = "damaged count", false);
      }
      const size_t count_end = p_;
      std::vector<std::string> items;
      while (count_known ? items.size() < count : !key_follows(p_)) {
        std::string s;
        if (!string_value(s, true)) return (detail_ = "damaged string " + std::to_string(items.size()), false);
        items.push_back(std::move(s));
      }
      if (!count_known && !count_fits(items.size(), count_end)) {
        return (detail_ = "rebuilt count " + std::to_string(items.size()) + " contradicts its damaged bytes", false);
      }
      put(out, items.size(), 8);
      for (const auto& s : items) put_string(out, s);
      if (key == "tokenizer.ggml.tokens") {
        n_tokens_ = items.size();
        tokens_ = std::move(items);
      }
      return true;
    }
    uint64_t n = count;
    if (!count_known) {
      // The array has one entry per token: that count must re-damage into the damaged bytes.
      std::string bytes;
      put(bytes, n_tokens_, 8);
      const std::string damaged = redamage(bytes);
      if (n_tokens_ == 0 || d_.substr(count_at, damaged.size()) != damaged) return (detail_ = "damaged count", false);
      p_ = count_at + damaged.size();
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
      if (key == "tokenizer.ggml.token_type" && elem == 5) token_types_.push_back(static_cast<int32_t>(u64(b, 4)));
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
        case 3: v = -1000.0f; return true;
        case 4: v = -10000.0f; return true;
        case 5: if (k != INT64_MIN) return false; v = -1.0f; return true;
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
      while (f.next_candidate < 6 && !placed) {
        const int idx = f.next_candidate++;
        if (!candidate(idx, i, f.k, v)) continue;
        o.resize(f.o_size);
        o.append(reinterpret_cast<const char*>(&v), 4);
        size_t c = f.c, q = f.q;
        if (!advance(c, q, false)) continue;
        int64_t k = f.k;
        if (idx == 0 || idx == 5) k = static_cast<int64_t>(i) + static_cast<int64_t>(v);
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
  std::vector<std::string> tokens_;   // tokenizer.ggml.tokens, for choosing damaged token ids
  std::vector<int32_t> token_types_;  // tokenizer.ggml.token_type
  struct Deferred {
    std::string key;
    uint32_t type;
    size_t size;    // of the value, bytes
    size_t offset;  // of the value in the rebuilt file
    std::vector<ScalarCandidate> candidates;
  };
  std::vector<Deferred> deferred_;
  std::vector<std::string> notes_;
  std::string detail_;
  std::string* why_ = nullptr;
};

}  // namespace salvage_detail

// Rebuilds a metadata-only GGUF from a damaged one (see above); nullopt with `why` when it cannot.
// `notes` (when given) receives the choices the structure did not force.
inline std::optional<std::string> salvage_gguf(std::string_view damaged, std::string* why,
                                               std::vector<std::string>* notes = nullptr) {
  salvage_detail::Salvager s(damaged);
  auto out = s.run(why);
  if (notes != nullptr) *notes = s.notes();
  return out;
}

// A shared vocabulary file salvaged once per process (the tokenizer tests load each file in more
// than one test): `bytes` as salvage_gguf gives them, or nullopt with `why`.
struct SalvagedVocab {
  std::optional<std::string> bytes;
  std::string why;
};
inline const SalvagedVocab& salvaged_vocab_file(const std::filesystem::path& path) {
  static std::mutex mu;
  static std::map<std::filesystem::path, SalvagedVocab> done;
  std::lock_guard<std::mutex> lock(mu);
  auto it = done.find(path);
  if (it == done.end()) {
    std::ifstream in(path, std::ios::binary);
    const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SalvagedVocab v;
    v.bytes = salvage_gguf(raw, &v.why);
    it = done.emplace(path, std::move(v)).first;
  }
  return it->second;
}

}  // namespace anvil::testing
