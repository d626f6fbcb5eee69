// Open-addressing hash tables for the tokenizers' hot loops: token text -> id (every candidate pair
// of SentencePiece, every pre-token of Llama 3) and (left id, right id) -> BPE merge. Flat arrays
// with linear probing: one cache line per probe instead of std::unordered_map's node chasing.
#pragma once

#include <bit>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "anvil/text/string_table.h"
#include "anvil/text/tokenizer.h"

namespace anvil::text {

// Text -> token id over a vocabulary it does not own (the table must outlive it, unmoved).
// 8-byte slots (32 bits of the hash, the id) at most 2/3 full: 2 MiB for Qwen 2's 151,936 tokens.
class TokenIndex {
 public:
  struct Duplicate {
    TokenId first;
    TokenId second;
  };

  // Indexes the non-empty tokens; the first of equal texts wins. Returns the first pair of ids
  // with equal non-empty texts, if any.
  std::optional<Duplicate> build(const StringTable&& tokens) = delete;  // would dangle
  std::optional<Duplicate> build(const StringTable& tokens) {
    tokens_ = &tokens;
    const size_t capacity = std::bit_ceil(tokens.size() * 3 / 2 + 16);
    slots_.assign(capacity, Slot{0, -1});
    mask_ = capacity - 1;
    std::optional<Duplicate> duplicate;
    for (size_t id = 0; id < tokens.size(); ++id) {
      const std::string_view text = tokens[id];
      if (text.empty()) continue;
      const uint64_t h = hash(text);
      size_t i = h & mask_;
      for (; slots_[i].id >= 0; i = (i + 1) & mask_) {
        if (slots_[i].tag == tag(h) && tokens[slots_[i].id] == text) break;
      }
      if (slots_[i].id >= 0) {
        if (!duplicate) duplicate = Duplicate{slots_[i].id, static_cast<TokenId>(id)};
        continue;
      }
      slots_[i] = {tag(h), static_cast<TokenId>(id)};
    }
    return duplicate;
  }

  TokenId find(std::string_view text) const {
    if (slots_.empty()) return -1;
    const uint64_t h = hash(text);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.tag == tag(h) && (*tokens_)[s.id] == text) return s.id;
    }
  }

 private:
  struct Slot {
    uint32_t tag;  // the hash's high half (the low bits chose the slot)
    TokenId id;    // -1: empty
  };
  static uint64_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }
  static uint32_t tag(uint64_t h) { return static_cast<uint32_t>(h >> 32); }

  const StringTable* tokens_ = nullptr;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

// (left id, right id) -> (rank, merged id) for byte-level BPE.
class MergeTable {
 public:
  struct Merge {
    int32_t rank;
    TokenId result;  // -1 when the merged text is not itself a token
  };

  // At most 2/3 full: 4 MiB for the 151k merges of Qwen 2.
  explicit MergeTable(size_t expected = 0) {
    const size_t capacity = std::bit_ceil(expected * 3 / 2 + 16);
    slots_.assign(capacity, Slot{kEmpty, {0, -1}});
    mask_ = capacity - 1;
  }

  // Keeps the first merge of a pair, as llama.cpp does.
  void insert(TokenId left, TokenId right, Merge m) {
    const uint64_t k = key(left, right);
    size_t i = slot_of(k);
    while (slots_[i].key != kEmpty) {
      if (slots_[i].key == k) return;
      i = (i + 1) & mask_;
    }
    slots_[i] = {k, m};
  }

  const Merge* find(TokenId left, TokenId right) const {
    const uint64_t k = key(left, right);
    for (size_t i = slot_of(k);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == k) return &s.merge;
      if (s.key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Slot {
    uint64_t key;
    Merge merge;
  };
  static uint64_t key(TokenId l, TokenId r) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(l)) << 32) | static_cast<uint32_t>(r);
  }
  size_t slot_of(uint64_t k) const { return static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> 20) & mask_; }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace anvil::text
