// Conversation -> prompt tokens for a chat model: the model's own chat template (from the GGUF,
// or an override), its special-token texts, and the tokenizer, with the double-BOS fix for
// templates that write bos_token themselves. Shared by `anvil chat` and the local provider.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>

#include "anvil/core/status.h"
#include "anvil/engine/gguf.h"
#include "anvil/text/chat_template.h"
#include "anvil/text/tokenizer.h"

namespace anvil::engine {

class ChatPrompt {
 public:
  // `template_source` overrides the file's tokenizer.chat_template. Errors: no template in the
  // file ("model.gguf: the model has no chat template (tokenizer.chat_template)"), or one that
  // does not parse. The tokenizer must outlive the result.
  static core::Result<ChatPrompt> create(const GgufFile& file, const text::Tokenizer& tokenizer,
                                         const std::optional<std::string>& template_source = std::nullopt);

  // OpenAI-shaped messages (and tools, if any) -> prompt text ending with the assistant header.
  core::Result<std::string> render(const boost::json::array& messages,
                                   const std::optional<boost::json::array>& tools = std::nullopt) const;
  core::Result<std::string> render(const std::vector<text::ChatMessage>& messages) const;

  // Prompt text -> token ids, special tokens parsed, BOS added as the model asks but never twice.
  std::vector<int32_t> encode(const std::string& prompt) const;

 private:
  ChatPrompt(text::ChatTemplate t, text::ChatTemplateOptions o, const text::Tokenizer& tokenizer)
      : template_(std::move(t)), options_(std::move(o)), tokenizer_(&tokenizer) {}

  text::ChatTemplate template_;
  text::ChatTemplateOptions options_;
  const text::Tokenizer* tokenizer_;
};

}  // namespace anvil::engine
