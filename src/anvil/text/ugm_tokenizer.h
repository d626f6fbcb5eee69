// SentencePiece unigram (UGM) tokenization as llama.cpp runs it for tokenizer.ggml.model "t5"
// vocabularies (T5, and XLM-RoBERTa: bge-m3, bge-reranker-base/-large/-v2-m3): the text is
// normalized with the precompiled charsmap, spaces become "▁" (one before the text when
// add_space_prefix, runs merged when remove_extra_whitespaces), then a Viterbi search picks the
// segmentation with the highest total token score; a code point no token covers becomes <unk>
// (consecutive unknowns merge into one). Algorithm: docs/TOKENIZERS.md ("UGM").
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/text/piece_trie.h"
#include "anvil/text/precompiled_charsmap.h"
#include "anvil/text/vocab_tokenizer.h"

namespace anvil::text {

class UgmTokenizer final : public VocabTokenizer {
 public:
  // Errors for a malformed precompiled charsmap and for a vocabulary without an unknown token
  // (the search needs it for text no token covers).
  static core::Result<std::unique_ptr<Tokenizer>> create(TokenizerVocab vocab, std::vector<TokenId> eog_ids);

  // The text the Viterbi search runs on: charsmap rules applied, spaces as "▁" (for tests and
  // `anvil tokenize` debugging).
  std::string normalize(std::string_view text) const;

 protected:
  void encode_text(std::string_view text, bool after_special, std::vector<TokenId>& out) const override;
  void append_normal_piece(TokenId id, std::string& out) const override;
  bool strips_leading_space() const override { return vocab_.add_space_prefix; }

 private:
  UgmTokenizer(TokenizerVocab vocab, std::vector<TokenId> eog_ids, PrecompiledCharsmap charsmap);
  float piece_score(TokenId id) const;  // the Viterbi's score of a token (user-defined: 0)

  PrecompiledCharsmap charsmap_;
  PieceTrie pieces_;  // normal, user-defined and unused tokens, as llama.cpp's token matcher
  float unknown_score_ = 0;  // the lowest normal token score minus 10
};

}  // namespace anvil::text
