// A byte trie over token texts, for tokenizers that need every token starting at a position (the
// UGM Viterbi walks it once per code point). Nodes are stored breadth by breadth with each node's
// children contiguous and sorted by byte, so a step is a binary search over at most 256 labels:
// 12 bytes per distinct token prefix (about 1.2M for a 250k-token XLM-R vocabulary).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anvil/text/tokenizer.h"

namespace anvil::text {

class PieceTrie {
 public:
  // (text, id) pairs; empty texts are ignored and the first id of equal texts wins.
  void build(std::vector<std::pair<std::string_view, TokenId>> pieces);

  static constexpr uint32_t kRoot = 0;
  static constexpr uint32_t kNone = ~uint32_t{0};
  // The node reached from `node` by byte `c`, or kNone.
  uint32_t child(uint32_t node, uint8_t c) const;
  // The token whose text ends at `node`, or -1.
  TokenId value(uint32_t node) const { return nodes_[node].value; }
  size_t n_nodes() const { return nodes_.size(); }

 private:
  struct Node {
    uint32_t first_child = 0;  // index of the first child; children are contiguous
    TokenId value = -1;
    uint16_t n_children = 0;
    uint8_t label = 0;  // the byte that leads here from the parent
  };
  std::vector<Node> nodes_;
};

}  // namespace anvil::text
