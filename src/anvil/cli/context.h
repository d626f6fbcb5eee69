// What every subcommand shares: the global flags (--data-dir, --config, logging), the layered
// settings they resolve to, and uniform error reporting.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "anvil/app/knowledge_base.h"
#include "anvil/app/settings.h"
#include "anvil/core/status.h"

namespace anvil::cli {

struct Context {
  std::string config_path;                                  // --config
  std::vector<std::pair<std::string, std::string>> flags;   // settings given as flags
  int exit_code = 0;

  // Adds a flag that overrides a settings key (e.g. --data-dir -> data_dir).
  void add_setting_flag(CLI::App& app, const std::string& flag, const std::string& key, const std::string& help);

  core::Result<app::Settings> settings();
  core::Result<app::KnowledgeBase> open_knowledge_base();
  // <data dir>/anvil.db, creating the data directory when missing.
  core::Result<std::filesystem::path> database_path();

  // Prints "anvil: error: ..." (secrets redacted) and records a failing exit status.
  void fail(const core::Status& status, int code = 1);

 private:
  std::optional<app::Settings> settings_;
};

void register_version(CLI::App& app, Context& ctx);
void register_collections(CLI::App& app, Context& ctx);
void register_ingest(CLI::App& app, Context& ctx);
void register_search(CLI::App& app, Context& ctx);
void register_eval(CLI::App& app, Context& ctx);
void register_config(CLI::App& app, Context& ctx);
void register_model(CLI::App& app, Context& ctx);
void register_quantize(CLI::App& app, Context& ctx);
void register_tokenize(CLI::App& app, Context& ctx);
void register_generate(CLI::App& app, Context& ctx);
void register_embed(CLI::App& app, Context& ctx);
void register_serve(CLI::App& app, Context& ctx);
void register_keys(CLI::App& app, Context& ctx);
void register_usage(CLI::App& app, Context& ctx);
void register_status(CLI::App& app, Context& ctx);

}  // namespace anvil::cli
