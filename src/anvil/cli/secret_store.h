// The secret store the settings describe (secrets.dir, secrets.env_file, the environment), for
// the commands that need a secret: `anvil serve` (upstream and admin keys), `anvil status`.
#pragma once

#include "anvil/app/settings.h"
#include "anvil/core/secrets.h"
#include "anvil/core/status.h"

namespace anvil::cli {

core::Result<core::SecretStore> open_secret_store(const app::Settings& settings);

}  // namespace anvil::cli
