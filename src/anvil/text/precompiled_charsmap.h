// SentencePiece's precompiled normalization rules (normalizer_spec.precompiled_charsmap, stored by
// llama.cpp's converter as GGUF tokenizer.ggml.precompiled_charsmap): a map from input byte
// strings to replacement strings, looked up by longest prefix. Used by the UGM tokenizer (T5,
// XLM-RoBERTa); the blob layout is in docs/TOKENIZERS.md ("Precompiled charsmap").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::text {

class PrecompiledCharsmap {
 public:
  // No rules: every lookup misses.
  PrecompiledCharsmap() = default;

  // Parses and checks a blob: u32 little-endian trie size in bytes, the trie (darts-clone's
  // XOR-compressed double array of u32 units), then NUL-terminated replacement strings. Every
  // node reachable from the root is visited once, so a blob that passes cannot index outside
  // itself at lookup time. Errors say what was expected and what was found, e.g. "precompiled
  // charsmap: the trie holds 1024 bytes but only 300 follow the size field".
  static core::Result<PrecompiledCharsmap> parse(std::string_view blob);

  bool empty() const { return units_.empty(); }
  size_t n_rules() const { return n_rules_; }  // keys with a replacement (found while checking)

  struct Match {
    std::string_view replacement;  // into this object: valid while it lives
    size_t consumed = 0;           // bytes of the input the rule covers; 0 = no rule matches
  };
  // The rule for the longest prefix of `text` that has one (matching stops at a NUL byte, as
  // in SentencePiece).
  Match longest_prefix(std::string_view text) const;

 private:
  std::vector<uint32_t> units_;
  std::string replacements_;  // NUL-terminated strings, addressed by byte offset
  size_t n_rules_ = 0;
};

}  // namespace anvil::text
