#include "anvil/store/usage_store.h"

#include <map>

#include "anvil/store/migrations.h"

namespace anvil::store {

using core::Result;
using core::Status;

// Prepared once: the writer inserts thousands of rows per second through these.
struct UsageStore::Statements {
  Statement insert_record;
  Statement insert_tag;
  Statement add_key_totals;
};

namespace {

std::string group_expression(UsageGroupBy g) {
  switch (g) {
    case UsageGroupBy::kNone: return "''";
    case UsageGroupBy::kKey: return "r.key_id";
    case UsageGroupBy::kTenant: return "r.tenant";
    case UsageGroupBy::kModel: return "r.model";
    case UsageGroupBy::kDeployment: return "r.deployment";
    case UsageGroupBy::kTag: return "COALESCE(t.tag, '')";
    case UsageGroupBy::kDay: return "strftime('%Y-%m-%d', r.time_us / 1000000, 'unixepoch')";
  }
  return "''";
}

}  // namespace

UsageStore::UsageStore(std::unique_ptr<Database> db, std::unique_ptr<Statements> st)
    : db_(std::move(db)), st_(std::move(st)) {}
UsageStore::UsageStore(UsageStore&&) noexcept = default;
UsageStore& UsageStore::operator=(UsageStore&&) noexcept = default;
// Statements are finalized before the connection closes (members die in reverse order).
UsageStore::~UsageStore() = default;

Result<UsageStore> UsageStore::open(const std::filesystem::path& db_path) {
  ANVIL_ASSIGN_OR_RETURN(auto db_value, Database::open(db_path));
  auto db = std::make_unique<Database>(std::move(db_value));
  ANVIL_RETURN_IF_ERROR(migrate(*db));
  // 32 MiB of page cache (SQLite's default is 2 MiB): the request-id and time indexes of a large
  // ledger stay in memory while the writer appends to them.
  ANVIL_RETURN_IF_ERROR(db->exec("PRAGMA cache_size = -32768"));
  ANVIL_ASSIGN_OR_RETURN(auto insert_record, db->prepare(
      "INSERT INTO usage_records(request_id, time_us, key_id, tenant, model, deployment, operation,"
      " prompt_tokens, completion_tokens, cached_tokens, cost_usd, latency_ms, upstream_latency_ms,"
      " http_status, outcome, attempts, fallbacks, stream)"
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(request_id) DO NOTHING"));
  ANVIL_ASSIGN_OR_RETURN(auto insert_tag, db->prepare(
      "INSERT OR IGNORE INTO usage_tags(tag, usage_id) VALUES (?, ?)"));
  ANVIL_ASSIGN_OR_RETURN(auto add_key_totals, db->prepare(
      "INSERT INTO usage_key_totals(key_id, requests, prompt_tokens, completion_tokens,"
      " cached_tokens, cost_usd) VALUES (?,?,?,?,?,?) ON CONFLICT(key_id) DO UPDATE SET"
      " requests = requests + excluded.requests,"
      " prompt_tokens = prompt_tokens + excluded.prompt_tokens,"
      " completion_tokens = completion_tokens + excluded.completion_tokens,"
      " cached_tokens = cached_tokens + excluded.cached_tokens,"
      " cost_usd = cost_usd + excluded.cost_usd"));
  auto st = std::make_unique<Statements>(Statements{std::move(insert_record), std::move(insert_tag),
                                                    std::move(add_key_totals)});
  return UsageStore(std::move(db), std::move(st));
}

Result<UsageInsertResult> UsageStore::insert(std::span<const UsageRecord> records) {
  UsageInsertResult result;
  if (records.empty()) return result;
  std::map<std::string_view, KeyUsageTotals> per_key;  // few keys per batch; sorted is fine
  ANVIL_ASSIGN_OR_RETURN(auto tx, Transaction::begin(*db_));
  for (const auto& r : records) {
    auto& ins = st_->insert_record;
    ins.bind(1, r.request_id).bind(2, r.time_us).bind(3, r.key_id).bind(4, r.tenant).bind(5, r.model)
        .bind(6, r.deployment).bind(7, r.operation).bind(8, r.prompt_tokens).bind(9, r.completion_tokens)
        .bind(10, r.cached_tokens).bind(11, r.cost_usd).bind(12, r.latency_ms).bind(13, r.upstream_latency_ms)
        .bind(14, r.http_status).bind(15, r.outcome).bind(16, r.attempts).bind(17, r.fallbacks)
        .bind(18, r.stream ? 1 : 0);
    if (Status s = ins.run(); !s.ok()) return s.with_context("recording request " + r.request_id);
    if (db_->changes() == 0) {
      result.duplicates.push_back(r.request_id);
      continue;
    }
    ++result.inserted;
    int64_t usage_id = db_->last_insert_rowid();
    for (const auto& tag : r.tags) {
      ANVIL_RETURN_IF_ERROR(st_->insert_tag.bind(1, tag).bind(2, usage_id).run());
    }
    auto& t = per_key[r.key_id];
    ++t.requests;
    t.prompt_tokens += r.prompt_tokens;
    t.completion_tokens += r.completion_tokens;
    t.cached_tokens += r.cached_tokens;
    t.cost_usd += r.cost_usd;
  }
  for (const auto& [key, t] : per_key) {
    ANVIL_RETURN_IF_ERROR(st_->add_key_totals.bind(1, key).bind(2, t.requests).bind(3, t.prompt_tokens)
                              .bind(4, t.completion_tokens).bind(5, t.cached_tokens).bind(6, t.cost_usd)
                              .run());
  }
  ANVIL_RETURN_IF_ERROR(tx.commit());
  return result;
}

Result<std::unordered_map<std::string, KeyUsageTotals>> UsageStore::key_totals() {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_->prepare(
      "SELECT key_id, requests, prompt_tokens, completion_tokens, cached_tokens, cost_usd"
      " FROM usage_key_totals"));
  std::unordered_map<std::string, KeyUsageTotals> out;
  for (;;) {
    ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out[st.column_text(0)] = {.requests = st.column_int(1),
                              .prompt_tokens = st.column_int(2),
                              .completion_tokens = st.column_int(3),
                              .cached_tokens = st.column_int(4),
                              .cost_usd = st.column_double(5)};
  }
  return out;
}

Result<std::vector<UsageGroup>> UsageStore::report(const UsageQuery& query) {
  std::string sql = "SELECT " + group_expression(query.group_by) +
                    " AS g, COUNT(*), SUM(r.prompt_tokens), SUM(r.completion_tokens),"
                    " SUM(r.cached_tokens), TOTAL(r.cost_usd), SUM(r.outcome LIKE 'error%')"
                    " FROM usage_records r";
  if (query.group_by == UsageGroupBy::kTag) sql += " LEFT JOIN usage_tags t ON t.usage_id = r.id";
  sql += " WHERE r.time_us >= ? AND r.time_us < ?";
  if (query.group_by != UsageGroupBy::kNone) sql += " GROUP BY g ORDER BY g";
  ANVIL_ASSIGN_OR_RETURN(auto st, db_->prepare(sql));
  st.bind(1, query.from_us.value_or(INT64_MIN)).bind(2, query.to_us.value_or(INT64_MAX));
  std::vector<UsageGroup> out;
  for (;;) {
    ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    // kNone over an empty range still gives one row, its SUMs NULL, which read as 0.
    out.push_back({.group = st.column_text(0),
                   .requests = st.column_int(1),
                   .prompt_tokens = st.column_int(2),
                   .completion_tokens = st.column_int(3),
                   .cached_tokens = st.column_int(4),
                   .cost_usd = st.column_double(5),
                   .errors = st.column_int(6)});
  }
  return out;
}

Result<int64_t> UsageStore::count() {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_->prepare("SELECT COUNT(*) FROM usage_records"));
  ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
  return row ? st.column_int(0) : 0;
}

Result<std::vector<std::string>> UsageStore::tags_of(std::string_view request_id) {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_->prepare(
      "SELECT t.tag FROM usage_tags t JOIN usage_records r ON r.id = t.usage_id"
      " WHERE r.request_id = ? ORDER BY t.tag"));
  st.bind(1, request_id);
  std::vector<std::string> out;
  for (;;) {
    ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(st.column_text(0));
  }
  return out;
}

}  // namespace anvil::store
