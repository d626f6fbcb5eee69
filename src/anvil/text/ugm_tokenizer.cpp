#include "anvil/text/ugm_tokenizer.h"

#include <algorithm>
#include <cfloat>

#include "anvil/text/spm_tokenizer.h"

namespace anvil::text {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";        // U+2581, SentencePiece's visible space
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr float kUnknownPenalty = 10.0f;                   // below the lowest token score

// Bytes in the sequence a lead byte announces (1 for stray continuation bytes): the Viterbi
// steps by these, as llama.cpp does.
size_t utf8_len(char lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[static_cast<uint8_t>(lead) >> 4];
}

// Length of the UTF-8 sequence at text[0] if its lead and continuation bytes are well formed
// (llama.cpp checks only the bit patterns: no overlong or surrogate test), else 0.
size_t structural_utf8_len(std::string_view text) {
  const auto b0 = static_cast<uint8_t>(text[0]);
  size_t n = 0;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
  } else {
    return 0;  // a continuation byte or 0xF8..0xFF
  }
  if (text.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((static_cast<uint8_t>(text[i]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

core::Result<std::unique_ptr<Tokenizer>> UgmTokenizer::create(TokenizerVocab vocab, std::vector<TokenId> eog_ids) {
  if (vocab.unk < 0) {
    return core::Status::invalid_argument(
        "t5 (unigram) vocabulary has no unknown token: tokenizer.ggml.unknown_token_id is needed for text no "
        "token covers");
  }
  PrecompiledCharsmap charsmap;
  if (!vocab.precompiled_charsmap.empty()) {
    ANVIL_ASSIGN_OR_RETURN(charsmap, PrecompiledCharsmap::parse(vocab.precompiled_charsmap));
  }
  return std::unique_ptr<Tokenizer>(new UgmTokenizer(std::move(vocab), std::move(eog_ids), std::move(charsmap)));
}

UgmTokenizer::UgmTokenizer(TokenizerVocab vocab, std::vector<TokenId> eog_ids, PrecompiledCharsmap charsmap)
    : VocabTokenizer(std::move(vocab), std::move(eog_ids)), charsmap_(std::move(charsmap)) {
  std::vector<std::pair<std::string_view, TokenId>> pieces;
  pieces.reserve(vocab_.tokens.size());
  float min_score = FLT_MAX;
  for (TokenId id = 0; id < n_vocab(); ++id) {
    const TokenType t = token_type(id);
    if (t == TokenType::kNormal) min_score = std::min(min_score, piece_score(id));
    if (t == TokenType::kNormal || t == TokenType::kUserDefined || t == TokenType::kUnused) {
      pieces.emplace_back(vocab_.tokens[id], id);
    }
  }
  pieces_.build(std::move(pieces));
  // As llama.cpp: with no normal token at all the minimum stays FLT_MAX (unknowns then win).
  unknown_score_ = min_score - kUnknownPenalty;
}

float UgmTokenizer::piece_score(TokenId id) const {
  // User-defined tokens score 0: above every normal token (log probabilities are negative).
  if (token_type(id) == TokenType::kUserDefined) return 0.0f;
  return static_cast<size_t>(id) < vocab_.scores.size() ? vocab_.scores[id] : 0.0f;
}

std::string UgmTokenizer::normalize(std::string_view text) const {
  std::string out;
  out.reserve(text.size() * 3);
  const bool prepend = vocab_.add_space_prefix;
  const bool merge = vocab_.remove_extra_whitespaces;
  bool prepended = false;
  bool in_word = false;
  // User-defined tokens never reach here (the special-token split takes them out of the text
  // first), so unlike llama.cpp there is no pass-through for them.
  for (size_t pos = 0; pos < text.size();) {
    std::string_view piece;
    size_t consumed = 0;
    if (const auto m = charsmap_.longest_prefix(text.substr(pos)); m.consumed > 0) {
      piece = m.replacement;
      consumed = m.consumed;
    } else if (const size_t n = structural_utf8_len(text.substr(pos)); n > 0) {
      piece = text.substr(pos, n);
      consumed = n;
    } else {
      piece = kReplacement;  // one ill-formed byte
      consumed = 1;
    }
    // Whitespace as llama.cpp applies it: every ' ' becomes "▁" (runs of them dropped when
    // merging), and a word gets "▁" before it when it is the first and add_space_prefix is set,
    // or always when merging.
    for (char c : piece) {
      if (c != ' ') {
        if (!in_word) {
          in_word = true;
          if ((prepend && !prepended) || merge) {
            out += kSpace;
            prepended = true;
          }
        }
        out.push_back(c);
      } else {
        in_word = false;
        if (!merge) out += kSpace;
      }
    }
    pos += consumed;
  }
  return out;
}

void UgmTokenizer::encode_text(std::string_view text, bool /*after_special*/, std::vector<TokenId>& out) const {
  // Each fragment between special tokens is normalized on its own (so each gets the prefix space).
  const std::string norm = normalize(text);
  const size_t n = norm.size();
  if (n == 0) return;

  // best[i]: the best segmentation of norm[0, i) ends with token `id` starting at `start`.
  // Sums are computed in double and stored in float, as llama.cpp does (ties break alike).
  struct Best {
    TokenId id;
    size_t start;
    float score;
  };
  const TokenId unk = vocab_.unk;
  std::vector<Best> best(n + 1, Best{unk, 0, -FLT_MAX});
  best[0].score = 0;
  for (size_t pos = 0; pos < n;) {
    const size_t cp_len = std::min(utf8_len(norm[pos]), n - pos);
    const double base = best[pos].score;
    bool covers_code_point = false;
    uint32_t node = PieceTrie::kRoot;
    for (size_t end = pos; end < n;) {
      node = pieces_.child(node, static_cast<uint8_t>(norm[end++]));
      if (node == PieceTrie::kNone) break;
      const TokenId id = pieces_.value(node);
      if (id < 0) continue;
      if (end - pos == cp_len) covers_code_point = true;
      const double s = base + piece_score(id);
      if (s > best[end].score) best[end] = {id, pos, static_cast<float>(s)};
    }
    if (!covers_code_point) {
      const double s = base + unknown_score_;
      Best& b = best[pos + cp_len];
      if (s > b.score) b = {unk, pos, static_cast<float>(s)};
    }
    pos += cp_len;
  }

  // Walk back from the end; a run of unknowns becomes one <unk>.
  const size_t first = out.size();
  bool prev_unknown = false;
  for (size_t i = n;;) {
    const Best& b = best[i];
    const bool unknown = b.id == unk;
    if (!(prev_unknown && unknown)) out.push_back(b.id);
    if (b.start == 0) break;
    prev_unknown = unknown;
    i = b.start;
  }
  std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
}

void UgmTokenizer::append_normal_piece(TokenId id, std::string& out) const {
  append_unescaped_spaces(vocab_.tokens[id], out);
}

}  // namespace anvil::text
