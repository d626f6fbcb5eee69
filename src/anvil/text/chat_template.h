// Renders a model's own chat template (`tokenizer.chat_template` in GGUF metadata, Jinja2 source)
// into the prompt text, exactly as HF transformers' apply_chat_template(tokenize=False) does.
// Supported Jinja subset, variables and errors: docs/CHAT_TEMPLATES.md.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/text/jinja/template.h"

namespace anvil::text {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", "tool", ...
  std::string content;
};

struct ChatTemplateOptions {
  // Ends the prompt with the header that starts the assistant's reply.
  bool add_generation_prompt = true;
  std::string bos_token;  // the model's special token texts, e.g. "<|begin_of_text|>"
  std::string eos_token;
  // OpenAI-style tool definitions ([{"type": "function", "function": {...}}]). Without them the
  // template sees `tools` = none, as HF passes it.
  std::optional<boost::json::array> tools;
  // More template variables (date_string, builtin_tools, tools_in_user_message, ...); they override
  // the ones above.
  boost::json::object extra;
  // The clock strftime_now() reads (local time, as HF's datetime.now()); unset means now.
  std::optional<std::chrono::system_clock::time_point> now;
};

class ChatTemplate {
 public:
  // Errors: "chat template: line 3, column 12: expected ..." (kInvalidArgument), or
  // "chat template: line 1, column 4: unsupported tag 'macro'" (kUnsupported).
  static core::Result<ChatTemplate> parse(std::string_view source);

  // messages -> prompt text. A template's raise_exception("...") comes back as kInvalidArgument with
  // exactly that message ("Conversation roles must alternate user/assistant/user/assistant/...");
  // other failures read "chat template: line L, column C: ...".
  core::Result<std::string> render(const std::vector<ChatMessage>& messages, const ChatTemplateOptions& options) const;

  // The same with OpenAI-shaped message objects, which may carry tool_calls, tool_call_id, name and
  // content as null or a list of parts.
  core::Result<std::string> render_json(const boost::json::array& messages, const ChatTemplateOptions& options) const;

 private:
  explicit ChatTemplate(jinja::Template t) : template_(std::move(t)) {}
  core::Result<std::string> render_values(jinja::Value messages, const ChatTemplateOptions& options) const;

  jinja::Template template_;
};

}  // namespace anvil::text
