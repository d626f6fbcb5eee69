// `anvil chat --model M [--system TEXT] [--chat-template SRC]`: a conversation on stdin, one user
// message per line; each reply is rendered with the model's chat template and streamed to stdout.
// The KV cache keeps the conversation so far: only the new turn is evaluated.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <random>

#include "anvil/cli/decoder_flags.h"
#include "anvil/core/file_io.h"
#include "anvil/engine/chat_prompt.h"

namespace anvil::cli {
namespace {

struct ChatCliOptions {
  DecoderFlags decoder;
  SamplingFlags sampling;
  std::string system;
  std::string chat_template;  // Jinja source, or @FILE
  bool timings = false;
};

// The --chat-template override (Jinja source, or @FILE), if any.
core::Result<std::optional<std::string>> template_override(const ChatCliOptions& o) {
  if (o.chat_template.empty()) return std::optional<std::string>();
  if (o.chat_template[0] != '@') return std::optional<std::string>(o.chat_template);
  ANVIL_ASSIGN_OR_RETURN(std::string source, core::read_file(o.chat_template.substr(1)));
  return std::optional<std::string>(std::move(source));
}

core::Status run_chat(const ChatCliOptions& o) {
  ANVIL_ASSIGN_OR_RETURN(LoadedDecoder d, load_decoder(o.decoder, true));
  ANVIL_ASSIGN_OR_RETURN(std::optional<std::string> source, template_override(o));
  auto chat_prompt = engine::ChatPrompt::create(d.model->file(), *d.tokenizer, source);
  if (!chat_prompt.ok() && chat_prompt.status().code() == core::StatusCode::kNotFound) {
    return core::Status::not_found(chat_prompt.status().message() + "; give one with --chat-template");
  }
  ANVIL_RETURN_IF_ERROR(chat_prompt.status());
  engine::GenerateOptions options = generate_options(o.sampling);
  if (!options.sampling.seed) options.sampling.seed = std::random_device{}();

  std::vector<text::ChatMessage> messages;
  if (!o.system.empty()) messages.push_back({"system", o.system});
  engine::Generator generator(*d.session, *d.tokenizer);
  const bool interactive = ::isatty(STDIN_FILENO) != 0;
  std::string line;
  for (;;) {
    if (interactive) std::fputs("> ", stderr);
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    messages.push_back({"user", line});
    auto prompt = chat_prompt->render(messages);
    if (!prompt.ok()) return prompt.status();
    const std::vector<int32_t> tokens = chat_prompt->encode(*prompt);
    auto reply = generator.generate(tokens, options, [](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return true;
    });
    if (!reply.ok()) {
      // Too long for the context, most likely: say so and let the user go on with a shorter turn.
      std::fprintf(stderr, "anvil: error: %s\n", reply.status().message().c_str());
      messages.pop_back();
      continue;
    }
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (interactive || o.timings) print_timings(*reply);
    messages.push_back({"assistant", reply->text});
  }
  return core::Status::ok_status();
}

}  // namespace

void register_chat(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("chat", "Chat with a local model (one message per line on stdin)");
  auto opts = std::make_shared<ChatCliOptions>();
  add_decoder_flags(cmd, opts->decoder);
  add_sampling_flags(cmd, opts->sampling, 512);
  cmd->add_option("--system", opts->system, "System message");
  cmd->add_option("--chat-template", opts->chat_template,
                  "Jinja chat template (or @FILE) instead of the model's tokenizer.chat_template");
  cmd->add_flag("--timings", opts->timings, "Print each reply's timings to stderr (always on a terminal)");
  cmd->callback([&ctx, opts] {
    if (auto st = run_chat(*opts); !st.ok()) ctx.fail(st);
  });
}

}  // namespace anvil::cli
