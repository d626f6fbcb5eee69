#include "anvil/text/jieba_dict.h"

#include <bit>
#include <charconv>
#include <string>

#include "anvil/text/utf8.h"

namespace anvil::text {

namespace {

inline size_t slot_of(uint64_t key, size_t mask) {
  // Fibonacci hashing: keys differ mostly in the low bits (the code point).
  return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

inline uint64_t edge_key(uint32_t node, char32_t cp) {
  return (static_cast<uint64_t>(node) << 32) | static_cast<uint32_t>(cp);
}

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

uint32_t JiebaDict::child(uint32_t node, char32_t cp) const {
  const uint64_t key = edge_key(node, cp);
  const size_t mask = slots_.size() - 1;
  for (size_t i = slot_of(key, mask);; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.key == key) return s.value;
    if (s.key == kEmptyKey) return kNone;
  }
}

uint32_t JiebaDict::find(const char32_t* s, size_t n) const {
  uint32_t node = kRoot;
  for (size_t i = 0; i < n && node != kNone; ++i) node = child(node, s[i]);
  return node;
}

void JiebaDict::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.key == kEmptyKey) continue;
    size_t i = slot_of(s.key, mask);
    while (slots_[i].key != kEmptyKey) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

uint32_t JiebaDict::add_child(uint32_t node, char32_t cp) {
  // Load factor stays at most 1/2 so probes stay short.
  if ((used_ + 1) * 2 > slots_.size()) grow();
  const uint64_t key = edge_key(node, cp);
  const size_t mask = slots_.size() - 1;
  size_t i = slot_of(key, mask);
  for (; slots_[i].key != kEmptyKey; i = (i + 1) & mask) {
    if (slots_[i].key == key) return slots_[i].value;
  }
  const auto id = static_cast<uint32_t>(freq_.size());
  freq_.push_back(0);
  slots_[i] = Slot{key, id};
  ++used_;
  return id;
}

core::Result<JiebaDict> JiebaDict::parse(std::string_view content, std::string_view origin) {
  JiebaDict dict;
  dict.freq_.reserve(1 << 20);
  dict.freq_.push_back(0);  // root: the empty prefix
  // dict.txt (5 MB) has 349k words and 498k distinct prefixes: 1M slots, no rehashing.
  dict.slots_.assign(std::bit_ceil(std::max<size_t>(1024, content.size() / 8)), Slot{});

  size_t line_no = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    // jieba: line.strip().split(' ')[:2] -> word, freq; the optional tag is ignored.
    while (!line.empty() && is_ascii_space(line.front())) line.remove_prefix(1);
    while (!line.empty() && is_ascii_space(line.back())) line.remove_suffix(1);
    auto fail = [&](std::string_view what) {
      return core::Status::corrupt(std::string(origin) + ": line " + std::to_string(line_no) + ": expected " +
                                   std::string(what) + ", found '" + std::string(line.substr(0, 80)) + "'");
    };
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return fail("'word freq [tag]'");
    std::string_view word = line.substr(0, sp);
    std::string_view freq_text = line.substr(sp + 1);
    freq_text = freq_text.substr(0, freq_text.find(' '));
    if (!freq_text.empty() && freq_text.front() == '+') freq_text.remove_prefix(1);
    uint64_t freq = 0;
    auto [fend, ec] = std::from_chars(freq_text.data(), freq_text.data() + freq_text.size(), freq);
    if (freq_text.empty() || ec != std::errc() || fend != freq_text.data() + freq_text.size()) {
      return fail("a non-negative integer frequency after the word");
    }
    if (!is_valid_utf8(word)) return fail("a UTF-8 word");

    uint32_t node = kRoot;
    size_t i = 0;
    while (i < word.size()) node = dict.add_child(node, decode_utf8(word, i));
    dict.freq_[node] = freq;
    dict.total_ += freq;
    ++dict.words_;
  }
  if (dict.words_ == 0) {
    return core::Status::corrupt(std::string(origin) + ": expected 'word freq [tag]' lines, found no words");
  }
  return dict;
}

}  // namespace anvil::text
