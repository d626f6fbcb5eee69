// A tokenizer-free estimate of how many tokens modern BPE tokenizers (cl100k/o200k-class, Qwen,
// Llama 3) produce for a text: used to size chunks until a model's own tokenizer is configured.
// The rule and its calibration are in docs/CHUNKING.md.
#pragma once

#include <cstddef>
#include <string_view>

#include "anvil/text/token_counter.h"

namespace anvil::text {

// Costs in tenths of a token, summed over the text and rounded up:
//   CJK ideograph, kana or Hangul syllable ........ 10 each
//   letter run (any script but CJK), weight w = ASCII letters + 2 x other letters:
//                                                   10 if w <= 8, else 10 + 3 x (w - 8)
//   digit run of n digits ......................... 10 x ceil(n / 3) + 3
//   ASCII punctuation/symbol run of n ............. 10 + 5 x (n - 1)
//   other punctuation (，。“”…) ................... 10 each
//   line-break run ................................ 10;  space run: 0 if one space, else 10
//   anything else (emoji, symbols, controls) ...... 20 each
// Thread-safe and allocation-free.
class EstimatedTokenCounter final : public TokenCounter {
 public:
  size_t count(std::string_view utf8) const override;

  // The same estimate in tenths of a token, before rounding (for callers that sum pieces).
  static size_t count_tenths(std::string_view utf8);
};

}  // namespace anvil::text
