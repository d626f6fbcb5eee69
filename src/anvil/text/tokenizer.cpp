// Tokenizer::create: checks a vocabulary and builds the tokenizer its model names.
#include "anvil/text/tokenizer.h"

#include <algorithm>

#include "anvil/text/bpe_tokenizer.h"
#include "anvil/text/special_tokens.h"
#include "anvil/text/spm_tokenizer.h"
#include "anvil/text/token_index.h"
#include "anvil/text/ugm_tokenizer.h"
#include "anvil/text/wordpiece_tokenizer.h"

namespace anvil::text {

namespace {

core::Status check_vocab(const TokenizerVocab& v) {
  const size_t n = v.tokens.size();
  if (n == 0) return core::Status::invalid_argument("tokenizer vocabulary is empty");
  if (!v.scores.empty() && v.scores.size() != n) {
    return core::Status::invalid_argument("tokenizer has " + std::to_string(v.scores.size()) + " scores for " +
                                          std::to_string(n) + " tokens");
  }
  if (!v.token_types.empty() && v.token_types.size() != n) {
    return core::Status::invalid_argument("tokenizer has " + std::to_string(v.token_types.size()) +
                                          " token types for " + std::to_string(n) + " tokens");
  }
  for (size_t i = 0; i < v.token_types.size(); ++i) {
    const auto t = static_cast<int32_t>(v.token_types[i]);
    if (t < 0 || t > static_cast<int32_t>(TokenType::kByte)) {
      return core::Status::invalid_argument("token " + std::to_string(i) + " has type " + std::to_string(t) +
                                            ", expected 0..6");
    }
  }
  // llama.cpp tolerates (and never matches) empty tokens; the index leaves them out.
  if (auto dup = TokenIndex().build(v.tokens)) {
    return core::Status::invalid_argument("duplicate token '" + std::string(v.tokens[dup->second]) + "' at ids " +
                                          std::to_string(dup->first) + " and " + std::to_string(dup->second));
  }
  const std::pair<const char*, TokenId> ids[] = {{"bos", v.bos}, {"eos", v.eos}, {"eot", v.eot}, {"eom", v.eom},
                                                 {"unk", v.unk}, {"sep", v.sep}, {"pad", v.pad}, {"cls", v.cls},
                                                 {"mask", v.mask}};
  for (const auto& [name, id] : ids) {
    if (id < -1 || id >= static_cast<TokenId>(n)) {
      return core::Status::invalid_argument(std::string(name) + " token id " + std::to_string(id) +
                                            " is out of range (vocabulary of " + std::to_string(n) + " tokens)");
    }
  }
  if (v.add_bos && v.bos < 0) return core::Status::invalid_argument("add_bos is set but there is no bos token");
  if (v.add_eos && v.eos < 0) return core::Status::invalid_argument("add_eos is set but there is no eos token");
  return core::Status::ok_status();
}

}  // namespace

core::Result<std::unique_ptr<Tokenizer>> Tokenizer::create(TokenizerVocab vocab) {
  ANVIL_RETURN_IF_ERROR(check_vocab(vocab));
  std::vector<TokenId> eog = resolve_end_of_generation(vocab);
  if (vocab.model == "llama") return std::unique_ptr<Tokenizer>(new SpmTokenizer(std::move(vocab), std::move(eog)));
  if (vocab.model == "gpt2") return BpeTokenizer::create(std::move(vocab), std::move(eog));
  if (vocab.model == "bert") {
    if (vocab.add_sep && vocab.sep < 0) {
      return core::Status::invalid_argument("add_sep is set but there is no sep token");
    }
    return std::unique_ptr<Tokenizer>(new WordPieceTokenizer(std::move(vocab), std::move(eog)));
  }
  if (vocab.model == "t5") return UgmTokenizer::create(std::move(vocab), std::move(eog));
  return core::Status::unsupported("unknown tokenizer model '" + vocab.model +
                                   "': expected llama (SentencePiece), gpt2 (byte-level BPE), bert (WordPiece) "
                                   "or t5 (SentencePiece unigram)");
}

TokenType Tokenizer::token_type(TokenId id) const {
  return static_cast<size_t>(id) < vocab_.token_types.size() ? vocab_.token_types[id] : TokenType::kNormal;
}

bool Tokenizer::is_control(TokenId id) const {
  return id >= 0 && id < n_vocab() && token_type(id) == TokenType::kControl;
}

bool Tokenizer::is_eog(TokenId id) const { return std::binary_search(eog_ids_.begin(), eog_ids_.end(), id); }

}  // namespace anvil::text
