// Persistence of the usage ledger in anvil.db: one row per request (tokens, cost, latency,
// outcome), its tags, running totals per API key, and the grouped sums that usage reports show.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/store/sqlite.h"

namespace anvil::store {

struct UsageRecord {
  std::string request_id;  // unique over the ledger
  int64_t time_us = 0;     // when the request arrived: unix microseconds, UTC
  std::string key_id;      // the API key's id ("" for the admin key or no key)
  std::string tenant;
  std::string model;       // the logical model the client asked for
  std::string deployment;  // the deployment that answered ("" if none did)
  std::string operation;   // "chat", "completions", "embeddings", "rerank"
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;  // of prompt_tokens
  double cost_usd = 0.0;
  double latency_ms = 0.0;           // request arrival -> last byte sent
  double upstream_latency_ms = 0.0;  // summed over upstream attempts
  int http_status = 0;               // what the client got; 0 if it went away before a status
  std::string outcome;               // "ok", "cache_hit", "cached_fallback" or "error:<reason>"
  int attempts = 0;
  int fallbacks = 0;
  bool stream = false;
  std::vector<std::string> tags;
};

// Sums over a key's whole ledger.
struct KeyUsageTotals {
  int64_t requests = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
  double cost_usd = 0.0;
};

enum class UsageGroupBy { kNone, kKey, kTenant, kModel, kDeployment, kTag, kDay };

struct UsageQuery {
  std::optional<int64_t> from_us;  // inclusive; none: from the first record
  std::optional<int64_t> to_us;    // exclusive; none: up to the last record
  UsageGroupBy group_by = UsageGroupBy::kNone;
};

struct UsageGroup {
  std::string group;  // the key id, tenant, model, deployment, tag or "YYYY-MM-DD" (UTC); "" for
                      // kNone and for untagged requests under kTag
  int64_t requests = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
  double cost_usd = 0.0;
  int64_t errors = 0;  // requests whose outcome is "error:..."
};

struct UsageInsertResult {
  int64_t inserted = 0;
  std::vector<std::string> duplicates;  // request ids already in the ledger, skipped
};

class UsageStore {
 public:
  static core::Result<UsageStore> open(const std::filesystem::path& db_path);
  UsageStore(UsageStore&&) noexcept;
  UsageStore& operator=(UsageStore&&) noexcept;
  ~UsageStore();

  // Appends `records` and updates the key totals in one transaction: all or nothing. A request id
  // already in the ledger is skipped (the first record of a request wins) and reported.
  core::Result<UsageInsertResult> insert(std::span<const UsageRecord> records);

  core::Result<std::unordered_map<std::string, KeyUsageTotals>> key_totals();

  // Sums per group, sorted by group. Under kTag a request counts once in each of its tags' groups.
  // kNone gives one group (with zero requests when the range is empty).
  core::Result<std::vector<UsageGroup>> report(const UsageQuery& query);

  core::Result<int64_t> count();
  core::Result<std::vector<std::string>> tags_of(std::string_view request_id);

 private:
  struct Statements;
  UsageStore(std::unique_ptr<Database> db, std::unique_ptr<Statements> st);

  // Statements point at the Database, so it lives on the heap and never moves.
  std::unique_ptr<Database> db_;
  std::unique_ptr<Statements> st_;
};

}  // namespace anvil::store
