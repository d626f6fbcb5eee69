// `anvil tokenize --model M [--ids] [--add-special] [--parse-special] TEXT`: the model's tokens for
// TEXT, one "id -> 'piece'" line each as llama-tokenize prints them, or the id list with --ids.
#include <cstdio>
#include <string>

#include "anvil/cli/context.h"
#include "anvil/engine/gguf.h"
#include "anvil/engine/gguf_vocab.h"

namespace anvil::cli {

void register_tokenize(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("tokenize", "Tokenize text with a model's tokenizer (from its GGUF file)");
  struct Options {
    std::string model;
    std::string text;
    bool ids = false;
    bool add_special = false;
    bool parse_special = false;
  };
  auto opts = std::make_shared<Options>();
  cmd->add_option("-m,--model", opts->model, "GGUF model (or vocabulary) file")->required();
  cmd->add_option("text", opts->text, "Text to tokenize")->required();
  cmd->add_flag("--ids", opts->ids, "Print only the ids, as [1, 2, 3]");
  cmd->add_flag("--add-special", opts->add_special, "Add BOS/EOS (or [CLS]/[SEP]) as the model's vocabulary says");
  cmd->add_flag("--parse-special", opts->parse_special,
                "Read special-token texts such as <|im_start|> in TEXT as those tokens");
  cmd->callback([&ctx, opts] {
    auto file = engine::GgufFile::open(opts->model);
    if (!file.ok()) return ctx.fail(file.status());
    auto tok = engine::load_tokenizer(**file);
    if (!tok.ok()) return ctx.fail(tok.status());
    const auto ids = (*tok)->encode(opts->text, opts->add_special, opts->parse_special);
    if (opts->ids) {
      std::string line = "[";
      for (size_t i = 0; i < ids.size(); ++i) {
        if (i > 0) line += ", ";
        line += std::to_string(ids[i]);
      }
      std::printf("%s]\n", line.c_str());
      return;
    }
    for (const auto id : ids) std::printf("%6d -> '%s'\n", id, (*tok)->token_to_piece(id, true).c_str());
  });
}

}  // namespace anvil::cli
