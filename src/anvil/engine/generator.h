// Text generation with a Llama-family session: prompt tokens -> prefill (in batches, reusing the
// part of the KV cache that already holds the same prefix) -> a decode loop that samples, streams
// the text of each token as valid UTF-8 and stops on max tokens, a stop string, an end-of-
// generation token or the end of the context. Loop and stop rules: docs/ENGINE.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/engine/llama_session.h"
#include "anvil/engine/sampler.h"
#include "anvil/text/tokenizer.h"

namespace anvil::engine {

enum class FinishReason {
  kStop,       // a stop string appeared (it is not part of the text)
  kLength,     // max_tokens generated
  kEog,        // the model produced an end-of-generation token (eos, eot, <|im_end|>, ...)
  kContext,    // the context is full
  kCancelled,  // the text callback asked to stop
};
std::string_view finish_reason_name(FinishReason reason);  // "stop", "length", "eog", ...

struct GenerateOptions {
  SamplerParams sampling;
  int64_t max_tokens = 128;  // <= 0: no limit but the context
  std::vector<std::string> stop;
  bool ignore_eog = false;   // keep going past end-of-generation tokens (benchmarks)
  // Prompt tokens count in the repetition penalties' window, as in llama.cpp.
  bool penalize_prompt = true;
};

struct GenerateTimings {
  int64_t prompt_tokens = 0;   // evaluated for this call
  int64_t cached_tokens = 0;   // prompt prefix reused from the KV cache
  double prompt_seconds = 0;
  int64_t generated_tokens = 0;
  double generation_seconds = 0;  // sampling and decoding, first token to last
  double prompt_tokens_per_second() const;
  double generation_tokens_per_second() const;
};

struct GenerateResult {
  std::vector<int32_t> tokens;  // every sampled token, the end-of-generation one included
  std::string text;             // what the callback received: no stop string, no EOG token text
  FinishReason finish = FinishReason::kLength;
  std::optional<size_t> stop_index;  // which stop string, for kStop
  GenerateTimings timings;
};

// Receives text as it becomes final; each piece is valid UTF-8. Returning false cancels.
using TextCallback = std::function<bool(std::string_view piece)>;

class Generator {
 public:
  // The session and tokenizer must outlive the generator, which owns the session's cache
  // contents from now on (it remembers which tokens the cache holds).
  Generator(LlamaSession& session, const text::Tokenizer& tokenizer);

  // Errors: an empty prompt; "prompt has 5000 tokens, the context holds 4096" (nothing is
  // truncated); bad sampler parameters; a token id outside the vocabulary.
  core::Result<GenerateResult> generate(std::span<const int32_t> prompt,
                                        const GenerateOptions& options,
                                        const TextCallback& on_text = {});

  // The tokens whose keys and values the cache holds, in order.
  const std::vector<int32_t>& cached_tokens() const { return cached_; }
  // Forgets the cache contents (the next prompt is evaluated in full).
  void clear_cache();

 private:
  LlamaSession& session_;
  const text::Tokenizer& tokenizer_;
  std::vector<int32_t> cached_;
};

}  // namespace anvil::engine
