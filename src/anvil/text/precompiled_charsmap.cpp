#include "anvil/text/precompiled_charsmap.h"

#include <cstring>

#include <fmt/format.h>

namespace anvil::text {

namespace {

// A darts-clone unit, 32 bits: label in bits 0-7 (bit 31 set marks a value unit, so a value
// never matches a label), "has a leaf" in bit 8, the offset to the children in bits 10-30
// (shifted left by 8 more when bit 9 is set); a value unit holds its value in bits 0-30.
constexpr uint32_t kValueBit = 1u << 31;

uint32_t unit_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }
uint32_t unit_label(uint32_t u) { return u & (kValueBit | 0xFFu); }
bool unit_has_leaf(uint32_t u) { return ((u >> 8) & 1u) != 0; }
uint32_t unit_value(uint32_t u) { return u & ~kValueBit; }

core::Status malformed(const std::string& what) {
  return core::Status::corrupt("precompiled charsmap: " + what);
}

}  // namespace

core::Result<PrecompiledCharsmap> PrecompiledCharsmap::parse(std::string_view blob) {
  PrecompiledCharsmap map;
  if (blob.empty()) return map;  // a file without normalization rules
  if (blob.size() < 4) {
    return malformed(fmt::format("{} bytes, expected at least the 4-byte trie size", blob.size()));
  }
  const auto* b = reinterpret_cast<const uint8_t*>(blob.data());
  const uint32_t trie_bytes = b[0] | (uint32_t{b[1]} << 8) | (uint32_t{b[2]} << 16) | (uint32_t{b[3]} << 24);
  const size_t rest = blob.size() - 4;
  if (trie_bytes == 0 || trie_bytes % 4 != 0) {
    return malformed(fmt::format("the trie size is {} bytes, expected a positive multiple of 4", trie_bytes));
  }
  if (trie_bytes > rest) {
    return malformed(fmt::format("the trie holds {} bytes but only {} follow the size field", trie_bytes, rest));
  }
  map.units_.resize(trie_bytes / 4);
  for (size_t i = 0; i < map.units_.size(); ++i) {
    const uint8_t* p = b + 4 + i * 4;
    map.units_[i] = p[0] | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
  }
  map.replacements_.assign(blob.substr(4 + trie_bytes));
  if (!map.replacements_.empty() && map.replacements_.back() != '\0') {
    return malformed(fmt::format("the replacement strings ({} bytes) do not end with a NUL byte",
                                 map.replacements_.size()));
  }

  // Visit every node reachable from the root: children must be inside the array, leaves must be
  // value units whose value is the offset of a replacement string.
  const size_t n = map.units_.size();
  std::vector<uint8_t> seen(n, 0);
  std::vector<uint32_t> stack = {0};
  seen[0] = 1;
  while (!stack.empty()) {
    const uint32_t node = stack.back();
    stack.pop_back();
    const uint32_t base = node ^ unit_offset(map.units_[node]);
    for (uint32_t c = 1; c < 256; ++c) {
      const uint32_t child = base ^ c;
      if (child >= n || unit_label(map.units_[child]) != c) continue;
      if (unit_has_leaf(map.units_[child])) {
        const uint32_t leaf = child ^ unit_offset(map.units_[child]);
        if (leaf >= n) {
          return malformed(fmt::format("unit {} has a leaf at unit {}, outside the {} units", child, leaf, n));
        }
        if ((map.units_[leaf] & kValueBit) == 0) {
          return malformed(fmt::format("unit {} has a leaf at unit {}, which holds no value", child, leaf));
        }
        const uint32_t value = unit_value(map.units_[leaf]);
        if (value >= map.replacements_.size()) {
          return malformed(fmt::format("a rule points at replacement offset {}, past the {} bytes of strings",
                                       value, map.replacements_.size()));
        }
        ++map.n_rules_;
      }
      if (!seen[child]) {
        seen[child] = 1;
        stack.push_back(child);
      }
    }
  }
  return map;
}

PrecompiledCharsmap::Match PrecompiledCharsmap::longest_prefix(std::string_view text) const {
  Match m;
  if (units_.empty()) return m;
  const size_t n = units_.size();
  uint32_t base = unit_offset(units_[0]);
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c == 0) break;
    const uint32_t node = base ^ c;
    if (node >= n || unit_label(units_[node]) != c) break;
    base = node ^ unit_offset(units_[node]);
    if (unit_has_leaf(units_[node])) {  // parse() checked that `base` is a value unit in range
      const char* s = replacements_.data() + unit_value(units_[base]);
      m.replacement = std::string_view(s, std::strlen(s));  // NUL-terminated: checked by parse()
      m.consumed = i + 1;
    }
  }
  return m;
}

}  // namespace anvil::text
