// Anvil's admin routes: GET /v1/admin/status (status_report.h), the JSON behind `anvil status`.
// Outside admission, so an overloaded server still says why.
#pragma once

#include "anvil/server/router.h"
#include "anvil/server/status_report.h"

namespace anvil::server {

// `report` must outlive the router's use.
void add_admin_routes(Router& router, const StatusReport& report);

}  // namespace anvil::server
