// Byte-level BPE as GPT-2 defined it and llama.cpp runs it for "gpt2" vocabularies (GPT-2, Llama 3,
// Qwen 2, DeepSeek, Falcon, MPT, StarCoder...): the pre-tokenizer splits the text, each piece's
// bytes become GPT-2's printable stand-ins ("Ġ" for a space), and adjacent symbols merge by the
// rank of their pair in tokenizer.ggml.merges, lowest rank first.
#pragma once

#include <array>

#include "anvil/text/bpe_pretokenizer.h"
#include "anvil/text/vocab_tokenizer.h"

namespace anvil::text {

class BpeTokenizer final : public VocabTokenizer {
 public:
  // Validates the merges ("merge 12 'Ġ t': 'Ġ' is not a token") and the pre-tokenizer name.
  static core::Result<std::unique_ptr<Tokenizer>> create(TokenizerVocab vocab, std::vector<TokenId> eog_ids);

 protected:
  void encode_text(std::string_view text, bool after_special, std::vector<TokenId>& out) const override;
  void append_normal_piece(TokenId id, std::string& out) const override;

 private:
  using Merge = MergeTable::Merge;
  BpeTokenizer(TokenizerVocab vocab, std::vector<TokenId> eog_ids, BpePretokenizer pre);
  core::Status build_merges();
  void encode_word(std::string_view word, std::vector<TokenId>& out, std::string& scratch) const;
  const Merge* find_merge(TokenId left, TokenId right) const { return merges_.find(left, right); }

  BpePretokenizer pre_;
  MergeTable merges_;
  std::array<TokenId, 256> byte_ids_{};         // the token of each byte's GPT-2 character, or -1
  // Tokens llama.cpp emits for a byte of an unknown symbol: the one-byte tokens of the bytes of
  // its GPT-2 character (in practice only printable ASCII has one).
  std::array<std::array<TokenId, 2>, 256> fallback_ids_{};
};

// GPT-2's bytes_to_unicode: the code point standing for byte `b` (printable Latin-1 bytes stand for
// themselves; the others map to U+0100.. in byte order).
char32_t gpt2_byte_to_char(uint8_t b);
// The inverse: the byte a code point stands for, or -1.
int gpt2_char_to_byte(char32_t c);

}  // namespace anvil::text
