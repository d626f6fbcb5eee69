// Model tokenizers: SentencePiece-style (llama/mistral/phi-3), byte-level BPE with the
// pre-tokenizers of the common model families, WordPiece (BERT) and SentencePiece unigram (T5,
// XLM-RoBERTa). Built from the vocabulary
// a GGUF file carries (engine/gguf_vocab.h fills TokenizerVocab); the algorithms are described
// in docs/TOKENIZERS.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/text/string_table.h"

namespace anvil::text {

using TokenId = int32_t;

// Token attributes, as GGUF's tokenizer.ggml.token_type stores them.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// Everything a tokenizer needs, as GGUF metadata names it (tokenizer.ggml.*).
struct TokenizerVocab {
  std::string model;  // "llama" (SentencePiece), "gpt2" (byte-level BPE), "bert" (WordPiece),
                      // "t5" (SentencePiece unigram)
  std::string pre;    // pre-tokenizer: "default", "llama-bpe", "qwen2", "deepseek-llm", ...
  StringTable tokens;                  // texts, by id (one arena: string_table.h)
  std::vector<float> scores;           // may be empty
  std::vector<TokenType> token_types;  // may be empty (all normal)
  StringTable merges;                  // BPE merges "a b", highest priority first (a built
                                       // BpeTokenizer keeps them only in its merge table)
  // t5 (unigram): SentencePiece's normalization rules, raw bytes (precompiled_charsmap.h); may be
  // empty (no normalization).
  std::string precompiled_charsmap;
  TokenId bos = -1, eos = -1, eot = -1, unk = -1, sep = -1, pad = -1, cls = -1, mask = -1;
  TokenId eom = -1;  // end of message (<|eom_id|>): also ends generation
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = true;  // SentencePiece: prepend "▁" to the text
  bool remove_extra_whitespaces = false;
  // Below: rules llama.cpp derives per model type and pre-tokenizer (engine/gguf_vocab.cpp sets
  // them from the metadata); the defaults suit a hand-made vocabulary.
  bool add_sep = false;         // WordPiece: [CLS] text [SEP] when add_special
  bool ignore_merges = false;   // BPE (llama 3): a pre-token that is itself a token is not merged
  bool clean_spaces = false;    // decode: " ." -> ".", " 's" -> "'s" (clean_up_tokenization_spaces)
  bool lowercase = true;        // WordPiece normalizer: lowercase
  bool strip_accents = true;    // WordPiece normalizer: NFD and drop combining marks
  // Special tokens that swallow the ASCII whitespace before (lstrip) or after (rstrip) them when
  // found in the text (Phi-3's added tokens are rstrip).
  std::vector<TokenId> lstrip_tokens, rstrip_tokens;
};

class Tokenizer {
 public:
  static core::Result<std::unique_ptr<Tokenizer>> create(TokenizerVocab vocab);
  virtual ~Tokenizer() = default;

  // add_special: add BOS/EOS (or CLS/SEP) as the vocabulary's policy says.
  // parse_special: recognize control/user-defined token texts ("<|im_start|>") in `text`.
  virtual std::vector<TokenId> encode(std::string_view text, bool add_special,
                                      bool parse_special) const = 0;
  // The text of a token as it would be printed (byte tokens and "▁" resolved). Special tokens
  // render as their text only when `render_special`.
  virtual std::string token_to_piece(TokenId id, bool render_special) const = 0;
  // Decodes a sequence (handles multi-token UTF-8 sequences; for SentencePiece drops the space
  // that add_space_prefix put before the first piece shown, so a BOS that is not rendered does not
  // keep it; applies the vocabulary's clean_spaces as llama.cpp does).
  virtual std::string decode(const std::vector<TokenId>& ids, bool render_special) const = 0;

  const TokenizerVocab& vocab() const { return vocab_; }
  int32_t n_vocab() const { return static_cast<int32_t>(vocab_.tokens.size()); }
  TokenType token_type(TokenId id) const;  // kNormal when the vocabulary has no types
  bool is_control(TokenId id) const;
  bool is_eog(TokenId id) const;  // end of generation: eos, eot, and control tokens like <|im_end|>
  // The token whose text is exactly `text`, or -1.
  virtual TokenId find_token(std::string_view text) const = 0;

 protected:
  explicit Tokenizer(TokenizerVocab vocab) : vocab_(std::move(vocab)) {}
  TokenizerVocab vocab_;
  std::vector<TokenId> eog_ids_;  // sorted; filled by create()
};

}  // namespace anvil::text
