#include "anvil/text/spm_tokenizer.h"

#include <queue>

namespace anvil::text {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581

// Bytes in the UTF-8 sequence a lead byte starts (1 for stray continuation bytes), as llama.cpp
// splits text into symbols.
size_t utf8_len(char lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[static_cast<uint8_t>(lead) >> 4];
}

// A run of bytes of the escaped text; merged symbols absorb their right neighbour.
struct Symbol {
  int prev;
  int next;
  uint32_t begin;
  uint32_t size;  // 0 once merged into the symbol on its left
};

struct Bigram {
  float score;
  int left;
  int right;
  uint32_t size;  // bytes of left + right when queued: a later size differs once either changed
};

// Highest score first; among equal scores, the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

void append_escaped_spaces(std::string_view text, std::string& out) {
  for (char c : text) {
    if (c == ' ') {
      out += kSpace;
    } else {
      out.push_back(c);
    }
  }
}

void append_unescaped_spaces(std::string_view text, std::string& out) {
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(kSpace, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.push_back(' ');
    pos = hit + kSpace.size();
  }
  out.append(text.substr(pos));
}

void SpmTokenizer::encode_text(std::string_view text, bool after_special, std::vector<TokenId>& out) const {
  std::string escaped;
  escaped.reserve(text.size() + text.size() / 4 + 3);
  if (vocab_.add_space_prefix && after_special) escaped += kSpace;
  append_escaped_spaces(text, escaped);
  const std::string_view s = escaped;

  std::vector<Symbol> symbols;
  symbols.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    const size_t n = std::min(utf8_len(s[pos]), s.size() - pos);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, pos + n == s.size() ? -1 : index + 1, static_cast<uint32_t>(pos),
                       static_cast<uint32_t>(n)});
    pos += n;
  }

  std::vector<Bigram> storage;
  storage.reserve(symbols.size());
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue(BigramOrder{}, std::move(storage));
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const uint32_t size = symbols[left].size + symbols[right].size;
    const TokenId id = find_token(s.substr(symbols[left].begin, size));
    if (id < 0) return;
    queue.push({score(id), left, right, size});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& left = symbols[b.left];
    Symbol& right = symbols[b.right];
    if (left.size == 0 || right.size == 0 || left.size + right.size != b.size) continue;  // stale
    left.size += right.size;
    right.size = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = b.left;
    try_add(left.prev, b.left);
    try_add(b.left, left.next);
  }

  for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) {
    const std::string_view piece = s.substr(symbols[i].begin, symbols[i].size);
    if (const TokenId id = find_token(piece); id >= 0) {
      out.push_back(id);
      continue;
    }
    // Only single characters can be left unknown (merges always make tokens): spell them out.
    for (char c : piece) {
      const TokenId id = byte_token(static_cast<uint8_t>(c));
      if (id >= 0) {
        out.push_back(id);
      } else if (vocab_.unk >= 0) {
        out.push_back(vocab_.unk);
      }
    }
  }
}

void SpmTokenizer::append_normal_piece(TokenId id, std::string& out) const {
  append_unescaped_spaces(vocab_.tokens[id], out);
}

}  // namespace anvil::text
