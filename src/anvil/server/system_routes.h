// The operational routes: GET /health (the process answers), GET /ready (200, or 503 while the
// server drains, so load balancers stop sending), GET /metrics (Prometheus text).
#pragma once

#include "anvil/core/metrics.h"
#include "anvil/server/router.h"

namespace anvil::server {

void add_system_routes(Router& router,
                       const core::MetricsRegistry& registry = core::MetricsRegistry::global());

}  // namespace anvil::server
