// `anvil embed --model E TEXT...`, `anvil rerank --model R --query Q DOC...`
#include "anvil/cli/context.h"

namespace anvil::cli {

void register_embed(CLI::App& app, Context& ctx) {
  (void)ctx;
  app.add_subcommand("embed", "Embed texts (not built yet)");
}

}  // namespace anvil::cli
