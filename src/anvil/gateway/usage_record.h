// Turning a finished call into its usage-ledger record: the outcome label, the fields the gateway
// knows, and the request's tags (from its `metadata` object and the X-Anvil-Tags header).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "anvil/core/status.h"
#include "anvil/gateway/gateway.h"
#include "anvil/store/usage_store.h"

namespace anvil::gateway {

// At most this many tags per request, each 1-kMaxTagBytes bytes.
inline constexpr size_t kMaxTags = 32;
inline constexpr size_t kMaxTagBytes = 600;  // room for OpenAI's metadata: 64-byte key, 512-byte value

// "ok", "cache_hit", "cached_fallback", or "error:<failure kind>" (upstream.h's names).
std::string usage_outcome(const CallResult& result);

// Fills what the call knows: ids, tenant, model, deployment, operation, tokens, cost, upstream
// latency, attempts, fallbacks, outcome and the stream flag. The server adds time_us,
// latency_ms, http_status and tags.
store::UsageRecord make_usage_record(const CallContext& context, std::string_view logical_model, Operation op,
                                     bool stream, const CallResult& result);

// Tags of a request: each "key:value" of `metadata` (strings as they are, other scalars as JSON;
// objects and arrays are an error), then each comma-separated item of the X-Anvil-Tags header,
// trimmed; empty items are skipped. Sorted, duplicates removed. Errors name the offending tag.
core::Result<std::vector<std::string>> request_tags(const boost::json::object* metadata,
                                                    std::string_view tags_header);

}  // namespace anvil::gateway
