#include "anvil/engine/generator.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "anvil/engine/stop_strings.h"
#include "anvil/text/utf8.h"

namespace anvil::engine {

using core::Status;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Ill-formed sequences (a model may emit a stray byte token) become U+FFFD, so that callers only
// ever see valid UTF-8.
std::string sanitize_utf8(std::string s) {
  if (text::is_valid_utf8(s)) return s;
  std::string out;
  for (size_t pos = 0; pos < s.size();) text::append_utf8(out, text::decode_utf8(s, pos));
  return out;
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
  ANVIL_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(options.sampling));
  if (options.penalize_prompt) {
    for (int32_t t : prompt) sampler.accept(t);
  }

  // Reuse the cached prefix; at least the last prompt token is evaluated, for its logits.
  const auto limit = std::min<size_t>(cached_.size(), prompt.size() - 1);
  size_t common = 0;
  while (common < limit && cached_[common] == prompt[common]) ++common;
  session_.truncate(static_cast<int64_t>(common));
  cached_.resize(common);

  GenerateResult result;
  result.timings.cached_tokens = static_cast<int64_t>(common);
  result.timings.prompt_tokens = n_prompt - static_cast<int64_t>(common);
  std::vector<float> logits;
  const Clock::time_point t_prompt = Clock::now();
  ANVIL_RETURN_IF_ERROR(session_.eval(prompt.subspan(common), LogitsFor::kLast, &logits));
  cached_.insert(cached_.end(), prompt.begin() + static_cast<std::ptrdiff_t>(common), prompt.end());
  result.timings.prompt_seconds = seconds_since(t_prompt);

  const Clock::time_point t_gen = Clock::now();
  StopStringMatcher matcher(options.stop);
  auto emit = [&](std::string piece) {
    if (piece.empty()) return true;
    piece = sanitize_utf8(std::move(piece));
    result.text += piece;
    return !on_text || on_text(piece);
  };
  for (;;) {
    ANVIL_ASSIGN_OR_RETURN(int32_t token, sampler.sample(logits));
    result.tokens.push_back(token);
    if (!options.ignore_eog && tokenizer_.is_eog(token)) {
      result.finish = FinishReason::kEog;
      break;
    }
    // A model may have more embedding rows than the tokenizer has tokens (padding): no text.
    const std::string piece = token < tokenizer_.n_vocab() ? tokenizer_.token_to_piece(token, false) : "";
    StopStringMatcher::Step step = matcher.feed(piece);
    if (!emit(std::move(step.text))) {
      result.finish = FinishReason::kCancelled;
      break;
    }
    if (step.stopped) {
      result.finish = FinishReason::kStop;
      result.stop_index = step.stop_index;
      break;
    }
    // The last token is not evaluated: nothing will read its logits.
    if (options.max_tokens > 0 && static_cast<int64_t>(result.tokens.size()) >= options.max_tokens) {
      result.finish = FinishReason::kLength;
      break;
    }
    if (session_.n_past() >= session_.n_ctx()) {
      result.finish = FinishReason::kContext;
      break;
    }
    ANVIL_RETURN_IF_ERROR(session_.eval(std::span(&token, 1), LogitsFor::kLast, &logits));
    cached_.push_back(token);
  }
  if (result.finish != FinishReason::kStop && result.finish != FinishReason::kCancelled) {
    emit(matcher.flush());  // held-back text that never became a stop string
  }
  result.timings.generated_tokens = static_cast<int64_t>(result.tokens.size());
  result.timings.generation_seconds = seconds_since(t_gen);
  return result;
}

}  // namespace anvil::engine
