// Counting a request's prompt tokens for the prompt-token limit and the tokens-per-minute
// estimate: with a model's own tokenizer and chat template read from a GGUF file, or, when no
// tokenizer of the model is known, estimated from the text (docs/GATEWAY.md, "Prompt-token limit").
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include <boost/json/object.hpp>

#include "anvil/core/status.h"
#include "anvil/engine/chat_prompt.h"
#include "anvil/engine/gguf.h"
#include "anvil/gateway/gateway.h"
#include "anvil/text/tokenizer.h"

namespace anvil::gateway {

// Counts with the tokenizer (and chat template, for chat) of one GGUF file. Only metadata is
// read; the weights are never touched. Thread-safe (const).
class PromptTokenizer {
 public:
  static core::Result<std::unique_ptr<PromptTokenizer>> open(const std::filesystem::path& gguf);

  // `body` has been validated against its operation's schema. A chat body the template cannot
  // render is kInvalidArgument with the template's message. Without a chat template the
  // messages' texts are counted with 4 tokens of framing each.
  // `counted_with` is left empty for the caller.
  core::Result<PromptCount> count(Operation op, const boost::json::object& body) const;

 private:
  PromptTokenizer() = default;

  std::unique_ptr<engine::GgufFile> file_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  std::optional<engine::ChatPrompt> chat_;
};

// An estimate without a tokenizer, meant to err high for the languages Anvil's users write: one
// token per CJK / kana / hangul character, one per 3 bytes of other text (English averages about
// 4 with common BPE vocabularies), 4 tokens of framing per chat message. Token-id prompts are
// counted exactly.
PromptCount estimate_prompt_tokens(Operation op, const boost::json::object& body);

}  // namespace anvil::gateway
