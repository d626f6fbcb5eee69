// Test helper: writes a precompiled charsmap blob (the layout SentencePiece stores and llama.cpp
// copies into GGUF, docs/TOKENIZERS.md) from a few rules, so tests can give the UGM tokenizer
// normalization rules without a real model file. A plain darts-clone style builder: each trie node
// gets the first base, not taken by another node, where its children's labels (and label 0 for its
// value) land on free units.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace anvil::testing {

// rules: non-empty key -> replacement (may be empty: the key is deleted).
inline std::string build_charsmap(const std::vector<std::pair<std::string, std::string>>& rules) {
  std::string strings;  // NUL-terminated replacements; a rule's value is its string's offset
  struct TrieNode {
    std::map<uint8_t, size_t> children;
    int64_t value = -1;
  };
  std::vector<TrieNode> trie(1);
  for (const auto& [key, replacement] : rules) {
    size_t node = 0;
    for (char ch : key) {
      const auto c = static_cast<uint8_t>(ch);
      auto it = trie[node].children.find(c);
      if (it == trie[node].children.end()) {
        trie.emplace_back();
        it = trie[node].children.emplace(c, trie.size() - 1).first;
      }
      node = it->second;
    }
    trie[node].value = static_cast<int64_t>(strings.size());
    strings += replacement;
    strings.push_back('\0');
  }

  // Units: label in bits 0-7, has-leaf in bit 8, offset (= unit index ^ base) in bits 10-30;
  // value units have bit 31 set. Unit 0 is the root.
  std::vector<uint32_t> units(1, 0);
  std::vector<bool> used(1, true);
  std::vector<bool> base_taken;  // two nodes with one base would share children (as in darts-clone)
  auto free_at = [&](uint32_t i) {
    if (i >= units.size()) {
      units.resize(i + 1, 0);
      used.resize(i + 1, false);
    }
    return !used[i];
  };
  std::vector<std::pair<size_t, uint32_t>> queue = {{0, 0}};  // (trie node, its unit)
  for (size_t q = 0; q < queue.size(); ++q) {
    const auto [tn, index] = queue[q];
    const TrieNode& node = trie[tn];
    std::vector<uint32_t> labels;
    if (node.value >= 0) labels.push_back(0);
    for (const auto& child : node.children) labels.push_back(child.first);
    if (labels.empty()) continue;
    uint32_t base = 1;
    for (;; ++base) {
      if (base < base_taken.size() && base_taken[base]) continue;
      bool fits = true;
      for (uint32_t l : labels) fits = free_at(base ^ l) && fits;
      if (fits) break;
    }
    if (base >= base_taken.size()) base_taken.resize(base + 1, false);
    base_taken[base] = true;
    units[index] |= (index ^ base) << 10;
    if (node.value >= 0) {
      units[index] |= 1u << 8;
      used[base] = true;
      units[base] = (1u << 31) | static_cast<uint32_t>(node.value);
    }
    for (const auto& [c, child] : node.children) {
      used[base ^ c] = true;
      units[base ^ c] |= c;
      queue.emplace_back(child, base ^ c);
    }
  }

  std::string blob;
  auto put_u32 = [&blob](uint32_t v) {
    for (int i = 0; i < 4; ++i) blob.push_back(static_cast<char>(v >> (8 * i)));
  };
  put_u32(static_cast<uint32_t>(units.size() * 4));
  for (uint32_t u : units) put_u32(u);
  return blob + strings;
}

}  // namespace anvil::testing
