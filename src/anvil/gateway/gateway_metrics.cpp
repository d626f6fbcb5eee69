#include "anvil/gateway/gateway_metrics.h"

namespace anvil::gateway {
namespace {

constexpr FailureKind kKinds[] = {FailureKind::kConnect,  FailureKind::kTimeout,
                                  FailureKind::kReset,    FailureKind::kHttpStatus,
                                  FailureKind::kProtocol, FailureKind::kContextOverflow,
                                  FailureKind::kCancelled};

template <typename M>
M* child(core::Result<core::MetricFamily<M>*> family, const std::vector<std::string>& labels) {
  if (!family.ok()) return nullptr;
  auto c = (*family)->with(labels);
  return c.ok() ? *c : nullptr;
}

}  // namespace

void DeploymentMetrics::failure(FailureKind kind) const {
  bump(failures[static_cast<std::size_t>(kind)]);
}

void DeploymentMetrics::attempt(const Attempt& a) const {
  if (a.ok()) {
    bump(ok);
  } else {
    failure(a.failure->kind);
  }
}

void DeploymentMetrics::billed(const Usage& usage, double cost) const {
  bump(prompt_tokens, static_cast<double>(usage.prompt_tokens));
  bump(completion_tokens, static_cast<double>(usage.completion_tokens));
  bump(cached_tokens, static_cast<double>(usage.cached_tokens));
  bump(cost_usd, cost);
}

DeploymentMetrics deployment_metrics(core::MetricsRegistry* registry, const std::string& deployment) {
  DeploymentMetrics m;
  if (registry == nullptr) return m;
  const auto attempts = [&] {
    return registry->counter_family("anvil_gateway_upstream_attempts_total",
                                    "Upstream attempts per deployment, by outcome (ok or the "
                                    "failure kind).",
                                    {"deployment", "outcome"});
  };
  m.ok = child(attempts(), {deployment, "ok"});
  for (FailureKind kind : kKinds) {
    m.failures[static_cast<std::size_t>(kind)] =
        child(attempts(), {deployment, std::string(failure_kind_name(kind))});
  }
  m.retries = child(registry->counter_family("anvil_gateway_retries_total",
                                             "Attempts repeated on the same deployment.",
                                             {"deployment"}),
                    {deployment});
  m.latency = child(registry->histogram_family(
                        "anvil_gateway_upstream_latency_seconds",
                        "Time of one upstream attempt, in seconds (a stream: until its end).",
                        {"deployment"}, core::exponential_buckets(0.001, 2, 17)),
                    {deployment});
  const auto tokens = [&] {
    return registry->counter_family("anvil_gateway_tokens_total",
                                    "Tokens of answered requests per deployment, by type (prompt, "
                                    "completion, cached: the part of prompt served from the "
                                    "upstream's prompt cache).",
                                    {"deployment", "type"});
  };
  m.prompt_tokens = child(tokens(), {deployment, "prompt"});
  m.completion_tokens = child(tokens(), {deployment, "completion"});
  m.cached_tokens = child(tokens(), {deployment, "cached"});
  m.cost_usd = child(registry->counter_family("anvil_gateway_cost_usd_total",
                                              "Cost of answered requests per deployment, in US "
                                              "dollars at its configured prices.",
                                              {"deployment"}),
                     {deployment});
  return m;
}

ModelMetrics model_metrics(core::MetricsRegistry* registry, const std::string& model) {
  ModelMetrics m;
  if (registry == nullptr) return m;
  m.fallbacks = child(registry->counter_family("anvil_gateway_fallbacks_total",
                                               "Deployments moved past (to another deployment or "
                                               "fallback model), by requested model.",
                                               {"model"}),
                      {model});
  const auto cache = [&] {
    return registry->counter_family("anvil_gateway_cache_total",
                                    "Response cache lookups by requested model: hit, miss, or "
                                    "fallback (a cached answer served because every deployment "
                                    "failed).",
                                    {"model", "result"});
  };
  m.cache_hits = child(cache(), {model, "hit"});
  m.cache_misses = child(cache(), {model, "miss"});
  m.cache_fallbacks = child(cache(), {model, "fallback"});
  return m;
}

}  // namespace anvil::gateway
