#include "anvil/gateway/breaker_board.h"

namespace anvil::gateway {
namespace {

// Resolves the labelled children once; a registration failure (a name taken with other labels)
// leaves that metric out rather than failing the gateway.
BreakerMetrics metrics_for(core::MetricsRegistry* registry, const std::string& deployment) {
  BreakerMetrics m;
  if (registry == nullptr) return m;
  auto state = registry->gauge_family("anvil_gateway_breaker_state",
                                      "Circuit breaker state per deployment: 0 closed, 1 "
                                      "half-open, 2 open.",
                                      {"deployment"});
  if (state.ok()) {
    if (auto g = (*state)->with({deployment}); g.ok()) m.state = *g;
  }
  auto transitions = registry->counter_family(
      "anvil_gateway_breaker_transitions_total",
      "Circuit breaker state changes per deployment, by the state entered.", {"deployment", "to"});
  if (transitions.ok()) {
    auto child = [&](BreakerState to) -> core::Counter* {
      auto c = (*transitions)->with({deployment, std::string(breaker_state_name(to))});
      return c.ok() ? *c : nullptr;
    };
    m.to_closed = child(BreakerState::kClosed);
    m.to_half_open = child(BreakerState::kHalfOpen);
    m.to_open = child(BreakerState::kOpen);
  }
  return m;
}

}  // namespace

BreakerBoard::BreakerBoard(const std::vector<std::string>& deployments,
                           const BreakerSettings& settings, const MonotonicClock& clock,
                           core::MetricsRegistry* registry) {
  for (const std::string& name : deployments) {
    if (breakers_.count(name) != 0) continue;
    breakers_.emplace(name, std::make_unique<CircuitBreaker>(name, settings, clock,
                                                             metrics_for(registry, name)));
  }
}

CircuitBreaker* BreakerBoard::find(std::string_view deployment) const {
  auto it = breakers_.find(deployment);
  return it == breakers_.end() ? nullptr : it->second.get();
}

std::vector<BreakerSnapshot> BreakerBoard::snapshot() const {
  std::vector<BreakerSnapshot> out;
  out.reserve(breakers_.size());
  for (const auto& [name, breaker] : breakers_) out.push_back(breaker->snapshot());
  return out;
}

}  // namespace anvil::gateway
