// What the three model tokenizers share: the text -> id index, splitting the input around special
// tokens, adding BOS/EOS, and turning ids back into text (token_to_piece, decode). The subclasses
// (spm_tokenizer.h, bpe_tokenizer.h, wordpiece_tokenizer.h) only tokenize plain text.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/text/special_tokens.h"
#include "anvil/text/token_index.h"
#include "anvil/text/tokenizer.h"

namespace anvil::text {

class VocabTokenizer : public Tokenizer {
 public:
  std::vector<TokenId> encode(std::string_view text, bool add_special, bool parse_special) const override;
  std::string token_to_piece(TokenId id, bool render_special) const override;
  std::string decode(const std::vector<TokenId>& ids, bool render_special) const override;
  TokenId find_token(std::string_view text) const override { return index_.find(text); }

 protected:
  explicit VocabTokenizer(TokenizerVocab vocab, std::vector<TokenId> eog_ids);

  // Tokenizes plain text (no special tokens in it). `after_special` is true for the first fragment
  // of the input and for each fragment that follows a special token.
  virtual void encode_text(std::string_view text, bool after_special, std::vector<TokenId>& out) const = 0;
  // The text of a NORMAL token.
  virtual void append_normal_piece(TokenId id, std::string& out) const = 0;
  // SentencePiece: the first piece's leading space came from add_space_prefix.
  virtual bool strips_leading_space() const { return false; }
  // WordPiece frames the text as [CLS] ... [SEP]; the others use add_bos / add_eos.
  virtual bool frames_with_cls_sep() const { return false; }

  // The id of byte `b` as a SentencePiece byte token "<0xXX>", else of the one-character token
  // holding that byte, else -1.
  TokenId byte_token(uint8_t b) const { return byte_tokens_[b]; }

  TokenIndex index_;  // over vocab_.tokens
  size_t max_token_bytes_ = 0;

 private:
  std::vector<SpecialToken> specials_;
  std::array<TokenId, 256> byte_tokens_{};
};

// "<0x1F>" -> 0x1F; -1 when `text` is not a byte token's text.
int parse_byte_token(std::string_view text);

// llama.cpp's decode clean-up (clean_up_tokenization_spaces): " ?" " !" " ." " ," lose their
// space, " ' " becomes "'", and " 's" " 'm" " 're" " 've" lose their space.
void clean_up_spaces(std::string& text);

}  // namespace anvil::text
