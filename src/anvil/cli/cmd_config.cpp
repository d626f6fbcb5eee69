// `anvil config show [--describe]`: every setting, its value and where the value came from.
#include <cstdio>

#include "anvil/cli/context.h"

namespace anvil::cli {

void register_config(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("config", "Inspect the settings");
  cmd->require_subcommand(1);
  auto describe = std::make_shared<bool>(false);
  auto* show = cmd->add_subcommand("show", "Print every setting with its value and its source");
  show->add_flag("--describe", *describe, "Also print what each setting does");
  show->callback([&ctx, describe] {
    auto s = ctx.settings();
    if (!s.ok()) return ctx.fail(s.status());
    std::printf("%s", s->config.dump(*describe).c_str());
  });
}

}  // namespace anvil::cli
