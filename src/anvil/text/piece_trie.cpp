#include "anvil/text/piece_trie.h"

#include <algorithm>

namespace anvil::text {

void PieceTrie::build(std::vector<std::pair<std::string_view, TokenId>> pieces) {
  std::erase_if(pieces, [](const auto& p) { return p.first.empty(); });
  // Sorted by text (ties by id), every node's pieces form one contiguous range.
  std::sort(pieces.begin(), pieces.end());
  nodes_.assign(1, Node{});

  // Breadth-first: a node is a range [lo, hi) of pieces sharing its first `depth` bytes.
  struct Range {
    uint32_t node;
    size_t lo, hi, depth;
  };
  std::vector<Range> level = {{kRoot, 0, pieces.size(), 0}}, next;
  while (!level.empty()) {
    next.clear();
    for (const Range& r : level) {
      size_t i = r.lo;
      // The piece that ends here sorts first; later equal texts (duplicates) are skipped.
      while (i < r.hi && pieces[i].first.size() == r.depth) {
        if (nodes_[r.node].value < 0) nodes_[r.node].value = pieces[i].second;
        ++i;
      }
      nodes_[r.node].first_child = static_cast<uint32_t>(nodes_.size());
      while (i < r.hi) {
        const auto c = static_cast<uint8_t>(pieces[i].first[r.depth]);
        size_t j = i;
        while (j < r.hi && static_cast<uint8_t>(pieces[j].first[r.depth]) == c) ++j;
        Node child;
        child.label = c;
        const auto index = static_cast<uint32_t>(nodes_.size());
        nodes_.push_back(child);
        ++nodes_[r.node].n_children;
        next.push_back({index, i, j, r.depth + 1});
        i = j;
      }
    }
    level.swap(next);
  }
}

uint32_t PieceTrie::child(uint32_t node, uint8_t c) const {
  const Node& n = nodes_[node];
  const Node* first = nodes_.data() + n.first_child;
  const Node* last = first + n.n_children;
  const Node* it = std::lower_bound(first, last, c, [](const Node& x, uint8_t v) { return x.label < v; });
  return it != last && it->label == c ? static_cast<uint32_t>(it - nodes_.data()) : kNone;
}

}  // namespace anvil::text
