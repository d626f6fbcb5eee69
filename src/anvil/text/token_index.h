// Open-addressing hash tables for the tokenizers' hot loops: token text -> id (every candidate pair
// of SentencePiece, every pre-token of Llama 3) and (left id, right id) -> BPE merge. Flat arrays
// with linear probing: one cache line per probe instead of std::unordered_map's node chasing.
#pragma once

#include <bit>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/text/tokenizer.h"

namespace anvil::text {

// Text -> token id over a vocabulary it does not own (the strings must outlive it, unmoved).
class TokenIndex {
 public:
  // Indexes the non-empty tokens; the first of equal texts wins.
  void build(const std::vector<std::string>& tokens) {
    tokens_ = &tokens;
    const size_t capacity = std::bit_ceil(tokens.size() * 2 + 16);
    slots_.assign(capacity, Slot{0, -1});
    mask_ = capacity - 1;
    for (size_t id = 0; id < tokens.size(); ++id) {
      if (tokens[id].empty() || find(tokens[id]) >= 0) continue;
      const uint64_t h = hash(tokens[id]);
      size_t i = h & mask_;
      while (slots_[i].id >= 0) i = (i + 1) & mask_;
      slots_[i] = {h, static_cast<TokenId>(id)};
    }
  }

  TokenId find(std::string_view text) const {
    if (slots_.empty()) return -1;
    const uint64_t h = hash(text);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.hash == h && (*tokens_)[s.id] == text) return s.id;
    }
  }

 private:
  struct Slot {
    uint64_t hash;
    TokenId id;  // -1: empty
  };
  static uint64_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }

  const std::vector<std::string>* tokens_ = nullptr;
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

  explicit MergeTable(size_t expected = 0) {
    const size_t capacity = std::bit_ceil(expected * 2 + 16);
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
