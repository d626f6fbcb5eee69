// The `anvil` command: global flags, then one subcommand (see `anvil --help`).
#include <cstdio>

#include "anvil/cli/context.h"

int main(int argc, char** argv) {
  CLI::App app{"Anvil: knowledge bases, retrieval and LLM serving on your own machines", "anvil"};
  app.require_subcommand(1);
  app.fallthrough();
  anvil::cli::Context ctx;
  app.add_option("--config", ctx.config_path, "Settings file (default: ./anvil.toml when present)");
  ctx.add_setting_flag(app, "--data-dir", "data_dir", "Data directory (env ANVIL_DATA_DIR; default ./anvil-data)");
  ctx.add_setting_flag(app, "--log-level", "log.level", "trace, debug, info, warn or error");
  ctx.add_setting_flag(app, "--log-format", "log.format", "text or json");

  anvil::cli::register_version(app, ctx);
  anvil::cli::register_collections(app, ctx);
  anvil::cli::register_ingest(app, ctx);
  anvil::cli::register_search(app, ctx);
  anvil::cli::register_eval(app, ctx);
  anvil::cli::register_config(app, ctx);
  anvil::cli::register_model(app, ctx);
  anvil::cli::register_quantize(app, ctx);
  anvil::cli::register_tokenize(app, ctx);
  anvil::cli::register_generate(app, ctx);
  anvil::cli::register_embed(app, ctx);
  anvil::cli::register_serve(app, ctx);
  anvil::cli::register_keys(app, ctx);
  anvil::cli::register_usage(app, ctx);
  anvil::cli::register_status(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ctx.exit_code;
}
