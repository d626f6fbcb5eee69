// jieba's prefix dictionary (dict.txt: "word freq [tag]" per line) as a code-point trie: every
// prefix of every word is a node, as in jieba's FREQ map where prefixes carry frequency 0.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::text {

class JiebaDict {
 public:
  static constexpr uint32_t kRoot = 0;
  static constexpr uint32_t kNone = UINT32_MAX;

  // Parses dict.txt content. `origin` (the path) names the file in errors, which give the line:
  // "/usr/.../dict.txt: line 7: expected 'word freq [tag]', found 'abc'".
  // Like jieba: a repeated word keeps its last frequency and all of them add to the total.
  static core::Result<JiebaDict> parse(std::string_view content, std::string_view origin);

  // The child of `node` along code point `cp`, or kNone. Nodes are prefixes (FREQ keys).
  uint32_t child(uint32_t node, char32_t cp) const;
  // The node of a whole string of code points, or kNone.
  uint32_t find(const char32_t* s, size_t n) const;
  // A node's frequency: 0 for a prefix that is not itself a word.
  uint64_t freq(uint32_t node) const { return freq_[node]; }

  // Sum of all frequencies in the file (jieba's `total`).
  uint64_t total() const { return total_; }
  size_t word_count() const { return words_; }
  size_t node_count() const { return freq_.size(); }

 private:
  uint32_t add_child(uint32_t node, char32_t cp);
  void grow();

  // Open-addressing table of edges: key = node << 32 | cp, value = child node.
  struct Slot {
    uint64_t key = kEmptyKey;
    uint32_t value = 0;
  };
  static constexpr uint64_t kEmptyKey = UINT64_MAX;
  std::vector<Slot> slots_;
  size_t used_ = 0;
  std::vector<uint64_t> freq_;
  uint64_t total_ = 0;
  size_t words_ = 0;
};

}  // namespace anvil::text
