#include "anvil/engine/generator.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "anvil/engine/sequence_decoder.h"

namespace anvil::engine {

using core::Status;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kEog: return "eog";
    case FinishReason::kContext: return "context";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "?";
}

double GenerateTimings::prompt_tokens_per_second() const {
  return prompt_seconds > 0 ? static_cast<double>(prompt_tokens) / prompt_seconds : 0.0;
}

double GenerateTimings::generation_tokens_per_second() const {
  return generation_seconds > 0 ? static_cast<double>(generated_tokens) / generation_seconds : 0.0;
}

Generator::Generator(LlamaSession& session, const text::Tokenizer& tokenizer)
    : session_(session), tokenizer_(tokenizer) {
  session_.reset();
}

void Generator::clear_cache() {
  session_.reset();
  cached_.clear();
}

core::Result<GenerateResult> Generator::generate(std::span<const int32_t> prompt,
                                                 const GenerateOptions& options,
                                                 const TextCallback& on_text) {
  const auto n_prompt = static_cast<int64_t>(prompt.size());
  if (n_prompt == 0) return Status::invalid_argument("the prompt is empty");
  if (n_prompt > session_.n_ctx()) {
    return Status::invalid_argument(fmt::format("prompt has {} tokens, the context holds {}",
                                                n_prompt, session_.n_ctx()));
  }
  ANVIL_ASSIGN_OR_RETURN(SequenceDecoder decoder, SequenceDecoder::create(tokenizer_, options, prompt));

  // Reuse the cached prefix; at least the last prompt token is evaluated, for its logits.
  const auto limit = std::min<size_t>(cached_.size(), prompt.size() - 1);
  size_t common = 0;
  while (common < limit && cached_[common] == prompt[common]) ++common;
  session_.truncate(static_cast<int64_t>(common));
  cached_.resize(common);

  GenerateTimings timings;
  timings.cached_tokens = static_cast<int64_t>(common);
  timings.prompt_tokens = n_prompt - static_cast<int64_t>(common);
  std::vector<float> logits;
  const Clock::time_point t_prompt = Clock::now();
  ANVIL_RETURN_IF_ERROR(session_.eval(prompt.subspan(common), LogitsFor::kLast, &logits));
  cached_.insert(cached_.end(), prompt.begin() + static_cast<std::ptrdiff_t>(common), prompt.end());
  timings.prompt_seconds = seconds_since(t_prompt);

  const Clock::time_point t_gen = Clock::now();
  for (;;) {
    ANVIL_ASSIGN_OR_RETURN(SequenceDecoder::Step step, decoder.step(logits, on_text));
    if (step.finish) break;
    if (session_.n_past() >= session_.n_ctx()) {
      decoder.finish(FinishReason::kContext, on_text);
      break;
    }
    ANVIL_RETURN_IF_ERROR(session_.eval(std::span(&step.token, 1), LogitsFor::kLast, &logits));
    cached_.push_back(step.token);
  }
  GenerateResult result = std::move(decoder.result());
  result.timings = timings;
  result.timings.generated_tokens = static_cast<int64_t>(result.tokens.size());
  result.timings.generation_seconds = seconds_since(t_gen);
  return result;
}

}  // namespace anvil::engine
