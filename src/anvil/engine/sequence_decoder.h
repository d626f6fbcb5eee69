// What happens to each token one sequence samples, wherever its forward passes run (Generator
// for one sequence, BatchScheduler for many): sampling with the penalties' history, streaming
// the text as valid UTF-8, stop strings, end-of-generation tokens and the token limit.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "anvil/core/status.h"
#include "anvil/engine/generator.h"
#include "anvil/engine/sampler.h"
#include "anvil/engine/stop_strings.h"
#include "anvil/text/tokenizer.h"

namespace anvil::engine {

class SequenceDecoder {
 public:
  // Errors: bad sampler parameters. With options.penalize_prompt the prompt enters the
  // penalties' window, as in llama.cpp.
  static core::Result<SequenceDecoder> create(const text::Tokenizer& tokenizer,
                                              const GenerateOptions& options,
                                              std::span<const int32_t> prompt);

  struct Step {
    int32_t token = 0;
    std::optional<FinishReason> finish;  // set: the sequence is done; its token needs no forward
  };

  // Samples the next token from `logits` [n_vocab], records it and passes any text that became
  // final to `on_text`.
  core::Result<Step> step(std::span<const float> logits, const TextCallback& on_text);

  // Ends the sequence for a reason found outside step() (the context is full; the caller
  // cancelled): flushes held-back text when the reason allows and records the reason.
  void finish(FinishReason reason, const TextCallback& on_text);

  GenerateResult& result() { return result_; }
  int64_t generated() const { return static_cast<int64_t>(result_.tokens.size()); }

 private:
  SequenceDecoder(const text::Tokenizer& tokenizer, const GenerateOptions& options, Sampler sampler)
      : tokenizer_(&tokenizer), max_tokens_(options.max_tokens), ignore_eog_(options.ignore_eog),
        sampler_(std::move(sampler)), matcher_(options.stop) {}
  bool emit(std::string piece, const TextCallback& on_text);

  const text::Tokenizer* tokenizer_;
  int64_t max_tokens_;
  bool ignore_eog_;
  Sampler sampler_;
  StopStringMatcher matcher_;
  GenerateResult result_;
};

}  // namespace anvil::engine
