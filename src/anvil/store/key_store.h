// Persistence of API keys in anvil.db: who a key belongs to (name, tenant), its limits, and when
// it was created and revoked. Keys are stored as SHA-256 hashes only; the plaintext never gets here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/store/sqlite.h"

namespace anvil::store {

// Per-key limits; nullopt means "no limit".
struct ApiKeyLimits {
  std::optional<int64_t> requests_per_minute;
  std::optional<int64_t> tokens_per_minute;
  std::optional<double> budget_usd;  // lifetime spend allowed, in US dollars
  std::optional<int64_t> max_prompt_tokens;  // per prompt; below the model's limit to matter
};

struct NewApiKey {
  std::string name;        // unique; [A-Za-z][A-Za-z0-9_.-]{0,63} so it never reads as an id
  std::string tenant;      // non-empty; same characters as a name
  std::string prefix;      // the first characters of the key, shown by `anvil keys list`
  std::string key_sha256;  // SHA-256 of the whole key, 64 lower-case hex digits
  ApiKeyLimits limits;
};

struct ApiKeyRecord {
  int64_t id = 0;
  std::string name;
  std::string tenant;
  std::string prefix;
  std::string key_sha256;
  ApiKeyLimits limits;
  std::string created_at;                // ISO 8601 UTC
  std::optional<std::string> revoked_at;  // set once revoked; revoked keys stay for the ledger
  bool revoked() const { return revoked_at.has_value(); }
};

// Checks a key or tenant name; the error names the field and quotes the value.
core::Status validate_key_name(std::string_view field, std::string_view value);

class KeyStore {
 public:
  // Opens (creating and migrating) the database at `db_path`.
  static core::Result<KeyStore> open(const std::filesystem::path& db_path);

  // Validates the names, limits (positive) and hash shape. A taken name or hash is kAlreadyExists.
  core::Result<ApiKeyRecord> create(const NewApiKey& key);

  // Every key, revoked ones included, by id.
  core::Result<std::vector<ApiKeyRecord>> list();

  // "12" is the key with id 12; anything else is a name. Not found lists what exists.
  core::Result<ApiKeyRecord> find(std::string_view id_or_name);

  // Sets revoked_at (now). Revoking a revoked key is kFailedPrecondition saying when it was.
  core::Result<ApiKeyRecord> revoke(std::string_view id_or_name);

  // A number that changes whenever any key is created, revoked or deleted, by any process: one
  // primary-key read, cheap enough to poll every second.
  core::Result<int64_t> change_counter();

 private:
  explicit KeyStore(Database db) : db_(std::move(db)) {}
  Database db_;
};

}  // namespace anvil::store
