#include "anvil/engine/sequence_decoder.h"

#include <string>
#include <utility>

#include "anvil/text/utf8.h"

namespace anvil::engine {

namespace {

// Ill-formed sequences (a model may emit a stray byte token) become U+FFFD, so that callers only
// ever see valid UTF-8.
std::string sanitize_utf8(std::string s) {
  if (text::is_valid_utf8(s)) return s;
  std::string out;
  for (size_t pos = 0; pos < s.size();) text::append_utf8(out, text::decode_utf8(s, pos));
  return out;
}

}  // namespace

core::Result<SequenceDecoder> SequenceDecoder::create(const text::Tokenizer& tokenizer,
                                                      const GenerateOptions& options,
                                                      std::span<const int32_t> prompt) {
  ANVIL_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(options.sampling));
  if (options.penalize_prompt) {
    for (int32_t t : prompt) sampler.accept(t);
  }
  return SequenceDecoder(tokenizer, options, std::move(sampler));
}

bool SequenceDecoder::emit(std::string piece, const TextCallback& on_text) {
  if (piece.empty()) return true;
  piece = sanitize_utf8(std::move(piece));
  result_.text += piece;
  return !on_text || on_text(piece);
}

core::Result<SequenceDecoder::Step> SequenceDecoder::step(std::span<const float> logits,
                                                          const TextCallback& on_text) {
  Step step;
  ANVIL_ASSIGN_OR_RETURN(step.token, sampler_.sample(logits));
  result_.tokens.push_back(step.token);
  if (!ignore_eog_ && tokenizer_->is_eog(step.token)) {
    finish(FinishReason::kEog, on_text);
    step.finish = FinishReason::kEog;
    return step;
  }
  // A model may have more embedding rows than the tokenizer has tokens (padding): no text.
  const std::string piece =
      step.token < tokenizer_->n_vocab() ? tokenizer_->token_to_piece(step.token, false) : "";
  StopStringMatcher::Step matched = matcher_.feed(piece);
  if (!emit(std::move(matched.text), on_text)) {
    step.finish = FinishReason::kCancelled;
  } else if (matched.stopped) {
    step.finish = FinishReason::kStop;
    result_.stop_index = matched.stop_index;
  } else if (max_tokens_ > 0 && generated() >= max_tokens_) {
    finish(FinishReason::kLength, on_text);
    step.finish = FinishReason::kLength;
    return step;
  }
  if (step.finish) result_.finish = *step.finish;
  return step;
}

void SequenceDecoder::finish(FinishReason reason, const TextCallback& on_text) {
  result_.finish = reason;
  if (reason != FinishReason::kStop && reason != FinishReason::kCancelled) {
    emit(matcher_.flush(), on_text);  // held-back text that never became a stop string
  }
}

}  // namespace anvil::engine
