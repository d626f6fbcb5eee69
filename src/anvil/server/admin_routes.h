// Anvil's admin routes: GET /v1/admin/status (status_report.h), the JSON behind `anvil status`,
// for the admin key only. Outside admission, so an overloaded server still says why.
#pragma once

#include "anvil/server/auth.h"
#include "anvil/server/router.h"
#include "anvil/server/status_report.h"

namespace anvil::server {

// `report` and `auth` (null: no authentication, everyone is admin) must outlive the router's use.
void add_admin_routes(Router& router, const StatusReport& report, const Authenticator* auth);

}  // namespace anvil::server
