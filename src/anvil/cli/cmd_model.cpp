// `anvil model info FILE.gguf`
#include "anvil/cli/context.h"

namespace anvil::cli {

void register_model(CLI::App& app, Context& ctx) {
  (void)ctx;
  app.add_subcommand("model", "Inspect GGUF model files (not built yet)");
}

}  // namespace anvil::cli
