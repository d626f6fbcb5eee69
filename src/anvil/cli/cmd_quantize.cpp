// `anvil quantize IN.gguf OUT.gguf --type q8_0|q4_0|q4_k_m`
#include "anvil/cli/context.h"

namespace anvil::cli {

void register_quantize(CLI::App& app, Context& ctx) {
  (void)ctx;
  app.add_subcommand("quantize", "Quantize a GGUF model (not built yet)");
}

}  // namespace anvil::cli
