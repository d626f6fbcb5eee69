#include "anvil/cli/secret_store.h"

#include "anvil/core/environment.h"

namespace anvil::cli {

core::Result<core::SecretStore> open_secret_store(const app::Settings& settings) {
  core::SecretStoreOptions options;
  options.environment = core::process_environment();
  ANVIL_ASSIGN_OR_RETURN(std::string secrets_dir, settings.config.get_string("secrets.dir"));
  ANVIL_ASSIGN_OR_RETURN(std::string env_file, settings.config.get_string("secrets.env_file"));
  options.secrets_dir = secrets_dir;
  options.dotenv_path = env_file;
  return core::SecretStore::open(std::move(options));
}

}  // namespace anvil::cli
