// Turning a finished call into its usage-ledger record: the outcome label and the fields the
// gateway knows.
#pragma once

#include <string>
#include <string_view>

#include "anvil/gateway/gateway.h"
#include "anvil/store/usage_store.h"

namespace anvil::gateway {

// "ok", "cache_hit", "cached_fallback", or "error:<failure kind>" (upstream.h's names).
std::string usage_outcome(const CallResult& result);

// Fills what the call came to: deployment, tokens, cost, upstream latency, attempts, fallbacks
// and outcome (the rest of `record` is left as it is).
void add_call_result(store::UsageRecord& record, const CallResult& result);

// Fills what the call knows: ids, tenant, model, deployment, operation, tokens, cost, upstream
// latency, attempts, fallbacks, outcome and the stream flag. The server adds time_us,
// latency_ms, http_status and tags (server/request_tags.h: each tag as "key=value").
store::UsageRecord make_usage_record(const CallContext& context, std::string_view logical_model, Operation op,
                                     bool stream, const CallResult& result);

}  // namespace anvil::gateway
