// The gateway's Prometheus metrics, resolved once per deployment and per logical model so that
// the hot path only increments atomics:
//   anvil_gateway_upstream_attempts_total{deployment,outcome}  outcome: ok or a failure kind
//   anvil_gateway_upstream_latency_seconds{deployment}          one observation per attempt
//   anvil_gateway_retries_total{deployment}
//   anvil_gateway_tokens_total{deployment,type}                 type: prompt, completion, cached
//   anvil_gateway_cost_usd_total{deployment}                    at the deployment's prices
//   anvil_gateway_fallbacks_total{model}                        deployments moved past
//   anvil_gateway_cache_total{model,result}                     result: hit, miss, fallback
// (Breaker state and transitions: breaker_board.h.)
#pragma once

#include <array>
#include <string>

#include "anvil/core/metrics.h"
#include "anvil/gateway/upstream.h"

namespace anvil::gateway {

// Counters of one deployment; any pointer may be null (no registry, or a name clash).
struct DeploymentMetrics {
  core::Counter* ok = nullptr;
  std::array<core::Counter*, 7> failures{};  // indexed by FailureKind
  core::Counter* retries = nullptr;
  core::Histogram* latency = nullptr;
  core::Counter* prompt_tokens = nullptr;
  core::Counter* completion_tokens = nullptr;
  core::Counter* cached_tokens = nullptr;
  core::Counter* cost_usd = nullptr;

  void attempt(const Attempt& a) const;  // counts its outcome
  void billed(const Usage& usage, double cost) const;  // tokens and cost of an answer
  void failure(FailureKind kind) const;
};

struct ModelMetrics {
  core::Counter* fallbacks = nullptr;
  core::Counter* cache_hits = nullptr;
  core::Counter* cache_misses = nullptr;
  core::Counter* cache_fallbacks = nullptr;
};

DeploymentMetrics deployment_metrics(core::MetricsRegistry* registry, const std::string& deployment);
ModelMetrics model_metrics(core::MetricsRegistry* registry, const std::string& model);

// Adds `amount` to a counter that may be null.
inline void bump(core::Counter* counter, double amount = 1.0) {
  if (counter != nullptr) counter->inc(amount);
}

}  // namespace anvil::gateway
