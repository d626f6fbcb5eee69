// `anvil tokenize --model M [--ids] TEXT`
#include "anvil/cli/context.h"

namespace anvil::cli {

void register_tokenize(CLI::App& app, Context& ctx) {
  (void)ctx;
  app.add_subcommand("tokenize", "Tokenize text with a model's tokenizer (not built yet)");
}

}  // namespace anvil::cli
