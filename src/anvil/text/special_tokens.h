// Special tokens in model tokenizers: splitting input text around the texts of control and
// user-defined tokens (llama.cpp's cascade: longest token first), and llama.cpp's rules for which
// tokens end generation. Used by every tokenizer (docs/TOKENIZERS.md, "Special tokens").
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "anvil/text/tokenizer.h"

namespace anvil::text {

// A piece of the input: a special token (id >= 0) or plain text bytes [begin, end) (id == -1).
struct TextFragment {
  TokenId id = -1;
  uint32_t begin = 0;
  uint32_t end = 0;
};

// One special token the splitter looks for, with how it treats neighbouring ASCII whitespace.
struct SpecialToken {
  TokenId id = -1;
  std::string_view text;   // non-empty; points into the vocabulary
  bool always = false;     // user-defined: split out even without parse_special
  bool lstrip = false;     // swallow whitespace before it
  bool rstrip = false;     // swallow whitespace after it
};

// The special tokens of `vocab` (control, user-defined and unknown tokens, as llama.cpp's special
// token cache), ordered longest text first, ties by id. Empty texts are left out.
std::vector<SpecialToken> collect_special_tokens(const TokenizerVocab& vocab);

// Splits `text` (at most 4 GiB) around occurrences of `specials`: each token in turn, longest
// first, splits every remaining text fragment at each of its occurrences. Tokens that are not
// `always` are only looked for when `parse_special`. Empty text gives no fragment.
void split_special_tokens(std::string_view text, const std::vector<SpecialToken>& specials,
                          bool parse_special, std::vector<TextFragment>& out);

// llama.cpp's end-of-generation rules, applied to a vocabulary before a tokenizer is built:
// finds eot / eom by their usual texts when the metadata gave none, marks such tokens CONTROL
// (some conversions leave them NORMAL), and returns the sorted ids that end generation: eos, eot,
// eom, FIM pad/repo/file-separator tokens and tokens such as <|im_end|>, <|endoftext|>,
// <end_of_turn>.
std::vector<TokenId> resolve_end_of_generation(TokenizerVocab& vocab);

}  // namespace anvil::text
