#include "anvil/engine/chat_prompt.h"

namespace anvil::engine {

namespace {

std::string token_text(const text::Tokenizer& tok, int32_t id) {
  return id >= 0 && id < tok.n_vocab() ? std::string(tok.vocab().tokens[static_cast<size_t>(id)]) : std::string();
}

}  // namespace

core::Result<ChatPrompt> ChatPrompt::create(const GgufFile& file, const text::Tokenizer& tokenizer,
                                            const std::optional<std::string>& template_source) {
  std::string source;
  if (template_source) {
    source = *template_source;
  } else {
    ANVIL_ASSIGN_OR_RETURN(std::optional<std::string_view> t, file.get_string("tokenizer.chat_template"));
    if (!t) {
      return core::Status::not_found(file.name() +
                                     ": the model has no chat template (tokenizer.chat_template)");
    }
    source = std::string(*t);
  }
  ANVIL_ASSIGN_OR_RETURN(text::ChatTemplate tmpl, text::ChatTemplate::parse(source));
  text::ChatTemplateOptions options;
  options.add_generation_prompt = true;
  options.bos_token = token_text(tokenizer, tokenizer.vocab().bos);
  options.eos_token = token_text(tokenizer, tokenizer.vocab().eos);
  return ChatPrompt(std::move(tmpl), std::move(options), tokenizer);
}

core::Result<std::string> ChatPrompt::render(const boost::json::array& messages,
                                             const std::optional<boost::json::array>& tools) const {
  if (!tools) return template_.render_json(messages, options_);
  text::ChatTemplateOptions with_tools = options_;
  with_tools.tools = tools;
  return template_.render_json(messages, with_tools);
}

core::Result<std::string> ChatPrompt::render(const std::vector<text::ChatMessage>& messages) const {
  return template_.render(messages, options_);
}

std::vector<int32_t> ChatPrompt::encode(const std::string& prompt) const {
  std::vector<int32_t> tokens = tokenizer_->encode(prompt, true, true);
  // Templates that write bos_token themselves would otherwise get a second BOS.
  const int32_t bos = tokenizer_->vocab().bos;
  if (tokens.size() >= 2 && bos >= 0 && tokens[0] == bos && tokens[1] == bos) tokens.erase(tokens.begin());
  return tokens;
}

}  // namespace anvil::engine
