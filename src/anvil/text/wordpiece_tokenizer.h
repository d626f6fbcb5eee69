// WordPiece as llama.cpp runs it for "bert" vocabularies (BERT, bge): the text is normalized
// (first code point of the NFD form, combining marks dropped, lowercased), split at whitespace,
// punctuation and CJK ideographs, and each word is cut greedily into the longest tokens from its
// start. llama.cpp's GGUF vocabularies mark word starts with "▁" instead of continuations with "##".
#pragma once

#include "anvil/text/vocab_tokenizer.h"

namespace anvil::text {

class WordPieceTokenizer final : public VocabTokenizer {
 public:
  WordPieceTokenizer(TokenizerVocab vocab, std::vector<TokenId> eog_ids)
      : VocabTokenizer(std::move(vocab), std::move(eog_ids)) {}

  // The words the text splits into after normalization (exposed for tests).
  std::vector<std::string> words(std::string_view text) const;

 protected:
  void encode_text(std::string_view text, bool after_special, std::vector<TokenId>& out) const override;
  void append_normal_piece(TokenId id, std::string& out) const override;
  bool frames_with_cls_sep() const override { return true; }
};

// BERT's "Chinese character" ranges (CJK ideographs and their extensions), as llama.cpp and
// Hugging Face's BertPreTokenizer check them.
bool is_bert_chinese_char(char32_t cp);

}  // namespace anvil::text
