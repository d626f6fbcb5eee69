#include "anvil/store/key_store.h"

#include <cctype>

#include "anvil/core/clock.h"
#include "anvil/store/migrations.h"

namespace anvil::store {

using core::Result;
using core::Status;

namespace {

constexpr const char* kKeyColumns =
    "id, name, tenant, prefix, key_sha256, rpm, tpm, budget_usd, created_at, revoked_at, "
    "max_prompt_tokens";

ApiKeyRecord read_key(const Statement& st) {
  ApiKeyRecord k;
  k.id = st.column_int(0);
  k.name = st.column_text(1);
  k.tenant = st.column_text(2);
  k.prefix = st.column_text(3);
  k.key_sha256 = st.column_text(4);
  if (!st.column_is_null(5)) k.limits.requests_per_minute = st.column_int(5);
  if (!st.column_is_null(6)) k.limits.tokens_per_minute = st.column_int(6);
  if (!st.column_is_null(7)) k.limits.budget_usd = st.column_double(7);
  k.created_at = st.column_text(8);
  if (!st.column_is_null(9)) k.revoked_at = st.column_text(9);
  if (!st.column_is_null(10)) k.limits.max_prompt_tokens = st.column_int(10);
  return k;
}

bool is_decimal_id(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Status validate_hash(std::string_view hash) {
  bool ok = hash.size() == 64;
  for (char c : hash) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!ok) {
    return Status::invalid_argument("key_sha256: expected 64 lower-case hex digits, found " +
                                    std::to_string(hash.size()) + " characters");
  }
  return {};
}

template <typename T>
Status validate_limit(std::string_view field, const std::optional<T>& v) {
  if (v && !(*v > 0)) {
    return Status::invalid_argument(std::string(field) + ": expected a positive number, found " +
                                    std::to_string(*v));
  }
  return {};
}

}  // namespace

Status validate_key_name(std::string_view field, std::string_view value) {
  bool ok = !value.empty() && value.size() <= 64 &&
            std::isalpha(static_cast<unsigned char>(value[0]));
  for (char c : value) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  }
  if (!ok) {
    return Status::invalid_argument(std::string(field) +
                                    ": expected 1-64 characters of A-Z a-z 0-9 _ . - starting with "
                                    "a letter, found '" + std::string(value) + "'");
  }
  return {};
}

Result<KeyStore> KeyStore::open(const std::filesystem::path& db_path) {
  ANVIL_ASSIGN_OR_RETURN(auto db, Database::open(db_path));
  ANVIL_RETURN_IF_ERROR(migrate(db));
  return KeyStore(std::move(db));
}

Result<ApiKeyRecord> KeyStore::create(const NewApiKey& key) {
  ANVIL_RETURN_IF_ERROR(validate_key_name("name", key.name));
  ANVIL_RETURN_IF_ERROR(validate_key_name("tenant", key.tenant));
  ANVIL_RETURN_IF_ERROR(validate_hash(key.key_sha256));
  ANVIL_RETURN_IF_ERROR(validate_limit("rpm", key.limits.requests_per_minute));
  ANVIL_RETURN_IF_ERROR(validate_limit("tpm", key.limits.tokens_per_minute));
  ANVIL_RETURN_IF_ERROR(validate_limit("budget", key.limits.budget_usd));
  ANVIL_RETURN_IF_ERROR(validate_limit("max_prompt_tokens", key.limits.max_prompt_tokens));
  if (key.prefix.empty() || key.prefix.size() > 16) {
    return Status::invalid_argument("prefix: expected 1-16 characters, found " +
                                    std::to_string(key.prefix.size()));
  }
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare(
      "INSERT INTO api_keys(name, tenant, prefix, key_sha256, rpm, tpm, budget_usd, created_at,"
      " max_prompt_tokens) VALUES (?,?,?,?,?,?,?,?,?)"));
  st.bind(1, key.name).bind(2, key.tenant).bind(3, key.prefix).bind(4, key.key_sha256)
      .bind(5, key.limits.requests_per_minute).bind(6, key.limits.tokens_per_minute)
      .bind(7, key.limits.budget_usd).bind(8, core::format_timestamp(core::unix_now()))
      .bind(9, key.limits.max_prompt_tokens);
  Status s = st.run();
  if (s.code() == core::StatusCode::kAlreadyExists) {
    auto existing = find(key.name);
    if (existing.ok()) return Status::already_exists("an API key named '" + key.name + "' already exists");
    return Status::already_exists("an API key with the same hash already exists");
  }
  ANVIL_RETURN_IF_ERROR(s);
  return find(std::to_string(db_.last_insert_rowid()));
}

Result<std::vector<ApiKeyRecord>> KeyStore::list() {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare(std::string("SELECT ") + kKeyColumns +
                                              " FROM api_keys ORDER BY id"));
  std::vector<ApiKeyRecord> out;
  for (;;) {
    ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(read_key(st));
  }
  return out;
}

Result<ApiKeyRecord> KeyStore::find(std::string_view id_or_name) {
  bool by_id = is_decimal_id(id_or_name);
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare(std::string("SELECT ") + kKeyColumns + " FROM api_keys WHERE " +
                                              (by_id ? "id = ?" : "name = ?")));
  if (by_id) {
    st.bind(1, static_cast<int64_t>(std::stoll(std::string(id_or_name))));
  } else {
    st.bind(1, id_or_name);
  }
  ANVIL_ASSIGN_OR_RETURN(bool found, st.step());
  if (found) return read_key(st);
  ANVIL_ASSIGN_OR_RETURN(auto all, list());
  std::string existing;
  for (const auto& k : all) {
    existing += (existing.empty() ? "" : ", ") + std::to_string(k.id) + " " + k.name;
  }
  return Status::not_found(std::string("no API key with ") + (by_id ? "id " : "name '") +
                           std::string(id_or_name) + (by_id ? "" : "'") + " (" +
                           (existing.empty() ? std::string("there are no keys yet")
                                             : "existing: " + existing) + ")");
}

Result<ApiKeyRecord> KeyStore::revoke(std::string_view id_or_name) {
  ANVIL_ASSIGN_OR_RETURN(auto tx, Transaction::begin(db_));
  ANVIL_ASSIGN_OR_RETURN(auto key, find(id_or_name));
  if (key.revoked()) {
    return Status::failed_precondition("API key " + std::to_string(key.id) + " '" + key.name +
                                       "' was already revoked at " + *key.revoked_at);
  }
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?"));
  st.bind(1, core::format_timestamp(core::unix_now())).bind(2, key.id);
  ANVIL_RETURN_IF_ERROR(st.run());
  ANVIL_RETURN_IF_ERROR(tx.commit());
  return find(std::to_string(key.id));
}

Result<int64_t> KeyStore::change_counter() {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare("SELECT seq FROM api_key_changes WHERE id = 1"));
  ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return Status::corrupt("database " + db_.path().string() + ": api_key_changes has no row");
  return st.column_int(0);
}

}  // namespace anvil::store
