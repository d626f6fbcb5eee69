// Usage reports over the ledger: requests, tokens, cost, errors and cost per request in a time
// range, grouped by key, tenant, model, deployment, tag or UTC day. `anvil usage` prints them;
// the server answers GET /v1/usage?from&to&group_by with usage_report_json.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "anvil/core/status.h"
#include "anvil/store/key_store.h"
#include "anvil/store/usage_store.h"

namespace anvil::app {

// The query from its text form (flags or URL parameters; "" = not given):
//   from, to   ISO 8601 ("2024-03-01", "2024-03-01T08:00:00Z", "...+08:00"); [from, to)
//   group_by   key, tenant, model, deployment, tag, day, or none
// Errors name the parameter and quote the value.
core::Result<store::UsageQuery> parse_usage_query(std::string_view from, std::string_view to,
                                                  std::string_view group_by);

std::string_view group_by_name(store::UsageGroupBy g);  // "key", ..., "none"

struct UsageReport {
  store::UsageQuery query;
  std::vector<store::UsageGroup> groups;  // empty when not grouped
  store::UsageGroup total;                // every request in the range, counted once
  std::map<std::string, std::string> key_names;  // key id -> name, when grouped by key
};

// `keys` may be null; when given and the report is grouped by key, key names are filled in.
// Blocking (SQLite reads, milliseconds for a large ledger): the server calls it off its I/O
// threads, with stores that one thread uses at a time.
core::Result<UsageReport> usage_report(store::UsageStore& usage, store::KeyStore* keys,
                                       const store::UsageQuery& query);

// {"object":"usage_report","from":..,"to":..,"group_by":..,"data":[group...],"total":group}, a
// group being {"group","requests","prompt_tokens","completion_tokens","cached_tokens",
// "cost_usd","errors","cost_per_request"} (+ "key_name" when grouped by key).
boost::json::object usage_report_json(const UsageReport& report);

double cost_per_request(const store::UsageGroup& g);

}  // namespace anvil::app
