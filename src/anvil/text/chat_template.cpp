#include "anvil/text/chat_template.h"

#include <ctime>

namespace anvil::text {

namespace {

jinja::TemplateOptions hf_options() {
  jinja::TemplateOptions o;
  o.trim_blocks = true;  // transformers' ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
  o.lstrip_blocks = true;
  o.name = "chat template";
  return o;
}

jinja::Value raise_exception_function() {
  return jinja::Value::function(
      "raise_exception",
      [](const jinja::CallArgs& args) -> core::Result<jinja::Value> {
        const std::string message = args.positional.empty() ? std::string() : args.positional[0].str();
        return core::Status::invalid_argument(message);
      },
      /*verbatim_errors=*/true);
}

// strftime_now(format): Python's datetime.now().strftime(format) for the options' clock.
jinja::Value strftime_now_function(std::optional<std::chrono::system_clock::time_point> now) {
  return jinja::Value::function("strftime_now", [now](const jinja::CallArgs& args) -> core::Result<jinja::Value> {
    if (args.positional.size() != 1 || !args.positional[0].is_string()) {
      return core::Status::invalid_argument("strftime_now() takes one format string");
    }
    const std::time_t t = std::chrono::system_clock::to_time_t(now.value_or(std::chrono::system_clock::now()));
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[256];
    const size_t n = std::strftime(buf, sizeof buf, args.positional[0].as_string().c_str(), &tm);
    if (n == 0 && !args.positional[0].as_string().empty()) {
      return core::Status::invalid_argument("strftime_now(): the formatted date is empty or longer than 255 bytes");
    }
    return jinja::Value::string(std::string(buf, n));
  });
}

}  // namespace

core::Result<ChatTemplate> ChatTemplate::parse(std::string_view source) {
  ANVIL_ASSIGN_OR_RETURN(jinja::Template t, jinja::Template::parse(source, hf_options()));
  return ChatTemplate(std::move(t));
}

core::Result<std::string> ChatTemplate::render(const std::vector<ChatMessage>& messages,
                                               const ChatTemplateOptions& options) const {
  std::vector<jinja::Value> items;
  items.reserve(messages.size());
  for (const ChatMessage& m : messages) {
    items.push_back(jinja::Value::dict({{"role", jinja::Value::string(m.role)},
                                        {"content", jinja::Value::string(m.content)}}));
  }
  return render_values(jinja::Value::list(std::move(items)), options);
}

core::Result<std::string> ChatTemplate::render_json(const boost::json::array& messages,
                                                    const ChatTemplateOptions& options) const {
  return render_values(jinja::Value::from_json(messages), options);
}

core::Result<std::string> ChatTemplate::render_values(jinja::Value messages, const ChatTemplateOptions& options) const {
  std::vector<std::pair<std::string, jinja::Value>> vars = {
      {"messages", std::move(messages)},
      {"tools", options.tools ? jinja::Value::from_json(*options.tools) : jinja::Value::none()},
      {"documents", jinja::Value::none()},
      {"add_generation_prompt", jinja::Value::boolean(options.add_generation_prompt)},
      {"bos_token", jinja::Value::string(options.bos_token)},
      {"eos_token", jinja::Value::string(options.eos_token)},
      {"raise_exception", raise_exception_function()},
      {"strftime_now", strftime_now_function(options.now)},
  };
  for (const auto& kv : options.extra) vars.emplace_back(std::string(kv.key()), jinja::Value::from_json(kv.value()));
  return template_.render(vars);
}

}  // namespace anvil::text
