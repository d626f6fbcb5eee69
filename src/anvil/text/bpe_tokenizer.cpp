#include "anvil/text/bpe_tokenizer.h"

#include <algorithm>
#include <queue>

#include "anvil/text/utf8.h"

namespace anvil::text {

namespace {

struct ByteMaps {
  std::array<char32_t, 256> to_char{};
  std::array<int16_t, 512> to_byte{};  // stand-ins are all below U+0200
};

const ByteMaps& byte_maps() {
  static const ByteMaps maps = [] {
    ByteMaps m;
    m.to_byte.fill(-1);
    auto printable = [](int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE); };
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      m.to_char[b] = printable(b) ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
      m.to_byte[m.to_char[b]] = static_cast<int16_t>(b);
    }
    return m;
  }();
  return maps;
}

struct Symbol {
  int prev;
  int next;
  uint32_t begin;  // bytes of the word
  uint32_t size;   // 0 once merged into the symbol on its left
  TokenId id;      // -1 when the symbol's text is not a token
};

struct Bigram {
  int32_t rank;
  int left;
  int right;
  uint32_t size;  // bytes of left + right when queued: differs once either symbol changed
};

// Lowest rank first; among equal ranks, the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

// llama.cpp reads text as code points, turning each byte that starts no well-formed sequence into
// U+FFFD; returns `text` itself when nothing needs replacing.
std::string_view sanitize_utf8(std::string_view text, std::string& storage) {
  if (is_valid_utf8(text)) return text;
  storage.clear();
  for (size_t i = 0; i < text.size();) {
    const size_t bad = find_invalid_utf8(text.substr(i)).value_or(text.size() - i);
    storage.append(text.substr(i, bad));
    i += bad;
    if (i < text.size()) {
      storage += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return storage;
}

}  // namespace

char32_t gpt2_byte_to_char(uint8_t b) { return byte_maps().to_char[b]; }

int gpt2_char_to_byte(char32_t c) { return c < 512 ? byte_maps().to_byte[c] : -1; }

BpeTokenizer::BpeTokenizer(TokenizerVocab vocab, std::vector<TokenId> eog_ids, BpePretokenizer pre)
    : VocabTokenizer(std::move(vocab), std::move(eog_ids)), pre_(std::move(pre)) {
  for (int b = 0; b < 256; ++b) {
    std::string ch;
    append_utf8(ch, gpt2_byte_to_char(static_cast<uint8_t>(b)));
    byte_ids_[b] = find_token(ch);
    fallback_ids_[b] = {-1, -1};
    for (size_t k = 0; k < ch.size() && k < 2; ++k) fallback_ids_[b][k] = find_token(ch.substr(k, 1));
  }
}

core::Result<std::unique_ptr<Tokenizer>> BpeTokenizer::create(TokenizerVocab vocab, std::vector<TokenId> eog_ids) {
  ANVIL_ASSIGN_OR_RETURN(BpePretokenizer pre, BpePretokenizer::create(vocab.pre));
  std::unique_ptr<BpeTokenizer> tok(new BpeTokenizer(std::move(vocab), std::move(eog_ids), std::move(pre)));
  ANVIL_RETURN_IF_ERROR(tok->build_merges());
  return std::unique_ptr<Tokenizer>(std::move(tok));
}

core::Status BpeTokenizer::build_merges() {
  if (vocab_.merges.empty()) {
    return core::Status::invalid_argument("BPE vocabulary has no merges (tokenizer.ggml.merges)");
  }
  merges_ = MergeTable(vocab_.merges.size());
  std::string joined;
  for (size_t rank = 0; rank < vocab_.merges.size(); ++rank) {
    const std::string_view merge = vocab_.merges[rank];
    const size_t space = merge.size() > 1 ? merge.find(' ', 1) : std::string_view::npos;
    auto where = [&] { return "merge " + std::to_string(rank) + " '" + std::string(merge) + "'"; };
    if (space == std::string_view::npos) {
      return core::Status::invalid_argument(where() + ": expected two tokens separated by a space");
    }
    const std::string_view left = merge.substr(0, space);
    const std::string_view right = merge.substr(space + 1);
    const TokenId l = find_token(left);
    const TokenId r = find_token(right);
    if (l < 0 || r < 0) {
      return core::Status::invalid_argument(where() + ": '" + std::string(l < 0 ? left : right) +
                                            "' is not a token");
    }
    joined.assign(left);
    joined.append(right);
    // The first occurrence of a pair wins, as in llama.cpp.
    merges_.insert(l, r, Merge{static_cast<int32_t>(rank), find_token(joined)});
  }
  vocab_.merges = StringTable();  // the merge table has all they say (2.6 MiB for Qwen 2)
  return core::Status::ok_status();
}

void BpeTokenizer::encode_text(std::string_view text, bool /*after_special*/, std::vector<TokenId>& out) const {
  std::string storage;
  const std::string_view clean = sanitize_utf8(text, storage);
  std::vector<std::string_view> words;
  pre_.split(clean, words);
  std::string scratch;
  for (std::string_view word : words) encode_word(word, out, scratch);
}

void BpeTokenizer::encode_word(std::string_view word, std::vector<TokenId>& out, std::string& scratch) const {
  if (word.empty()) return;
  if (vocab_.ignore_merges) {
    scratch.clear();
    for (char c : word) append_utf8(scratch, gpt2_byte_to_char(static_cast<uint8_t>(c)));
    if (const TokenId id = find_token(scratch); id >= 0) {
      out.push_back(id);
      return;
    }
  }
  // One symbol per byte: GPT-2's stand-in characters are one per byte.
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Bigram> heap;
  symbols.clear();
  heap.clear();
  const int n = static_cast<int>(word.size());
  for (int i = 0; i < n; ++i) {
    symbols.push_back({i - 1, i + 1 < n ? i + 1 : -1, static_cast<uint32_t>(i), 1,
                       byte_ids_[static_cast<uint8_t>(word[i])]});
  }
  const BigramOrder order;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0 || symbols[left].id < 0 || symbols[right].id < 0) return;
    const Merge* m = find_merge(symbols[left].id, symbols[right].id);
    if (m == nullptr) return;
    heap.push_back({m->rank, left, right, symbols[left].size + symbols[right].size});
    std::push_heap(heap.begin(), heap.end(), order);
  };
  for (int i = 1; i < n; ++i) try_add(i - 1, i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), order);
    const Bigram b = heap.back();
    heap.pop_back();
    Symbol& left = symbols[b.left];
    Symbol& right = symbols[b.right];
    if (left.size == 0 || right.size == 0 || left.size + right.size != b.size) continue;  // stale
    left.id = find_merge(left.id, right.id)->result;
    left.size += right.size;
    right.size = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = b.left;
    try_add(left.prev, b.left);
    try_add(b.left, left.next);
  }
  for (int i = 0; i >= 0; i = symbols[i].next) {
    const Symbol& s = symbols[i];
    if (s.id >= 0) {
      out.push_back(s.id);
      continue;
    }
    for (uint32_t k = s.begin; k < s.begin + s.size; ++k) {
      for (TokenId id : fallback_ids_[static_cast<uint8_t>(word[k])]) {
        if (id >= 0) out.push_back(id);
      }
    }
  }
}

void BpeTokenizer::append_normal_piece(TokenId id, std::string& out) const {
  const std::string_view text = vocab_.tokens[id];
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    const char32_t c = decode_utf8(text, pos);
    const int b = gpt2_char_to_byte(c);
    if (b >= 0) {
      out.push_back(static_cast<char>(b));
    } else {
      out.append(text.substr(start, pos - start));  // not a stand-in: keep the character itself
    }
  }
}

}  // namespace anvil::text
