#include "anvil/cli/context.h"

#include <cstdio>

#include "anvil/app/data_dir.h"
#include "anvil/core/environment.h"
#include "anvil/core/log.h"
#include "anvil/core/redactor.h"

namespace anvil::cli {

void Context::add_setting_flag(CLI::App& app, const std::string& flag, const std::string& key,
                               const std::string& help) {
  app.add_option_function<std::string>(
         flag, [this, key](const std::string& value) { flags.emplace_back(key, value); }, help)
      ->type_name("VALUE");
}

core::Result<app::Settings> Context::settings() {
  if (!settings_) {
    ANVIL_ASSIGN_OR_RETURN(auto s, app::load_settings(config_path, core::process_environment(), flags));
    // The schema only admits valid names, so these parses cannot fail on loaded settings.
    core::log::Options log;
    ANVIL_ASSIGN_OR_RETURN(log.level, core::log::parse_level(s.log_level));
    ANVIL_ASSIGN_OR_RETURN(log.format, core::log::parse_format(s.log_format));
    ANVIL_RETURN_IF_ERROR(core::log::configure(log));
    settings_.emplace(std::move(s));
  }
  return *settings_;
}

core::Result<app::KnowledgeBase> Context::open_knowledge_base() {
  ANVIL_ASSIGN_OR_RETURN(auto s, settings());
  return app::KnowledgeBase::open(s.data_dir);
}

core::Result<std::filesystem::path> Context::database_path() {
  ANVIL_ASSIGN_OR_RETURN(auto s, settings());
  ANVIL_ASSIGN_OR_RETURN(auto dir, app::DataDir::open(s.data_dir));
  return dir.database();
}

void Context::fail(const core::Status& status, int code) {
  std::fprintf(stderr, "anvil: error: %s\n", core::redact(status.message()).c_str());
  exit_code = code;
}

}  // namespace anvil::cli
