// `anvil generate --model M -p TEXT`, `anvil chat --model M`, `anvil bench --model M`
#include "anvil/cli/context.h"

namespace anvil::cli {

void register_generate(CLI::App& app, Context& ctx) {
  (void)ctx;
  app.add_subcommand("generate", "Generate text from a prompt (not built yet)");
}

}  // namespace anvil::cli
