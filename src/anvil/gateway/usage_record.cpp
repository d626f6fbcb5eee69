#include "anvil/gateway/usage_record.h"

namespace anvil::gateway {

std::string usage_outcome(const CallResult& result) {
  if (result.failure) return "error:" + std::string(failure_kind_name(result.failure->kind));
  if (result.cached_fallback) return "cached_fallback";
  if (result.cache_hit) return "cache_hit";
  return "ok";
}

void add_call_result(store::UsageRecord& r, const CallResult& result) {
  r.deployment = result.deployment;
  r.prompt_tokens = result.usage.prompt_tokens;
  r.completion_tokens = result.usage.completion_tokens;
  r.cached_tokens = result.usage.cached_tokens;
  r.cost_usd = result.cost_usd;
  r.upstream_latency_ms = std::chrono::duration<double, std::milli>(result.upstream_latency).count();
  r.outcome = usage_outcome(result);
  r.attempts = result.attempts;
  r.fallbacks = result.fallbacks;
}

store::UsageRecord make_usage_record(const CallContext& context, std::string_view logical_model, Operation op,
                                     bool stream, const CallResult& result) {
  store::UsageRecord r;
  r.request_id = context.request_id;
  r.key_id = context.key_id;
  r.tenant = context.tenant;
  r.model = std::string(logical_model);
  r.operation = std::string(operation_name(op));
  r.stream = stream;
  add_call_result(r, result);
  return r;
}

}  // namespace anvil::gateway
