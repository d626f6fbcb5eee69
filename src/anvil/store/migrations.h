// Schema migrations of anvil.db: an ordered list of SQL scripts, each applied once in its own
// transaction and recorded in schema_migrations, so an old data directory upgrades in place.
#pragma once

#include "anvil/core/status.h"
#include "anvil/store/sqlite.h"

namespace anvil::store {

// The schema version this build writes; a database newer than this is refused.
int latest_schema_version();

core::Status migrate(Database& db);

}  // namespace anvil::store
