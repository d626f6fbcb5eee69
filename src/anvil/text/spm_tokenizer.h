// SentencePiece BPE as llama.cpp runs it for "llama" vocabularies (LLaMA 1/2, Mistral, Phi-3):
// spaces become U+2581, then adjacent pieces merge, highest token score first, while the merged
// text is a token; pieces left that are not tokens fall back to <0xXX> byte tokens.
#pragma once

#include "anvil/text/vocab_tokenizer.h"

namespace anvil::text {

class SpmTokenizer final : public VocabTokenizer {
 public:
  SpmTokenizer(TokenizerVocab vocab, std::vector<TokenId> eog_ids) : VocabTokenizer(std::move(vocab), std::move(eog_ids)) {}

 protected:
  void encode_text(std::string_view text, bool after_special, std::vector<TokenId>& out) const override;
  void append_normal_piece(TokenId id, std::string& out) const override;
  bool strips_leading_space() const override { return vocab_.add_space_prefix; }

 private:
  float score(TokenId id) const {
    return static_cast<size_t>(id) < vocab_.scores.size() ? vocab_.scores[id] : 0.0f;
  }
};

// Appends `text` with every ' ' replaced by U+2581 ("▁", SentencePiece's visible space).
void append_escaped_spaces(std::string_view text, std::string& out);
// Appends `text` with every U+2581 replaced by ' '.
void append_unescaped_spaces(std::string_view text, std::string& out);

}  // namespace anvil::text
