// Anvil's settings: the keys of anvil.toml / ANVIL_* / flags (core::Config does the layering),
// resolved into typed values for the use cases.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "anvil/core/config.h"
#include "anvil/core/status.h"
#include "anvil/store/kb_store.h"

namespace anvil::app {

const core::ConfigSchema& settings_schema();

struct Settings {
  core::Config config;
  std::optional<std::filesystem::path> config_file;  // the anvil.toml read, if any
  std::filesystem::path data_dir;
  std::string log_level;
  std::string log_format;
  store::CollectionSpec collection_defaults;  // for collections created without explicit settings
};

// `config_file` empty: ./anvil.toml when it exists (or $ANVIL_CONFIG), else defaults only.
core::Result<Settings> load_settings(const std::string& config_file,
                                     const std::map<std::string, std::string>& environment,
                                     const std::vector<std::pair<std::string, std::string>>& flags);

}  // namespace anvil::app
