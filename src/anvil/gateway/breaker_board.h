// The circuit breakers of every deployment, built once from the configuration and exported as
// anvil_gateway_breaker_state{deployment} (0 closed, 1 half-open, 2 open) and
// anvil_gateway_breaker_transitions_total{deployment,to}; the snapshot feeds `anvil status`.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/metrics.h"
#include "anvil/gateway/circuit_breaker.h"

namespace anvil::gateway {

class BreakerBoard {
 public:
  // One breaker per name. `registry` may be null (no metrics). The set of breakers never
  // changes afterwards, so lookups take no lock.
  BreakerBoard(const std::vector<std::string>& deployments, const BreakerSettings& settings,
               const MonotonicClock& clock, core::MetricsRegistry* registry);

  // Null for a name that has no breaker.
  CircuitBreaker* find(std::string_view deployment) const;

  // In deployment-name order.
  std::vector<BreakerSnapshot> snapshot() const;

 private:
  std::map<std::string, std::unique_ptr<CircuitBreaker>, std::less<>> breakers_;
};

}  // namespace anvil::gateway
