// Who is calling: bearer tokens checked against the API keys of anvil.db (held in memory as a map
// from SHA-256 digest to key, so a check is one hash and one lookup) and the admin key from the
// secrets. A poller thread reloads the map when the CLI creates or revokes a key.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "anvil/core/metrics.h"
#include "anvil/core/status.h"
#include "anvil/gateway/api_key_secret.h"
#include "anvil/gateway/rate_limiter.h"
#include "anvil/store/key_store.h"

namespace anvil::gateway {

// An authenticated caller. Immutable; shared by every request of that key until a reload.
struct Principal {
  std::string key_id;  // the key's id in anvil.db ("12"); "" for the admin key
  std::string name;    // "admin" for the admin key
  std::string tenant;  // "" for the admin key
  std::string prefix;  // "ak-AbCdEf": safe to log
  KeyLimits limits;    // 0 = none; the admin key has none
  bool admin = false;
};

// A key just created: its record, and the secret itself, which exists nowhere else afterwards.
struct IssuedKey {
  store::ApiKeyRecord record;
  std::string secret;
};

// Generates a key, stores its digest, and returns the secret for the caller to show once.
core::Result<IssuedKey> issue_api_key(store::KeyStore& keys, std::string name, std::string tenant,
                                      const store::ApiKeyLimits& limits);

KeyLimits key_limits(const store::ApiKeyLimits& limits);

struct ApiKeysOptions {
  std::filesystem::path database;  // anvil.db
  std::string admin_key;           // from the secrets (ANVIL_ADMIN_KEY); "" = no admin key
  // How often the poller reads the change counter; 0 = no poller (call refresh() instead).
  std::chrono::milliseconds poll_interval{1000};
  core::MetricsRegistry* metrics = &core::MetricsRegistry::global();
  // Called after each reload, on the thread that reloaded, under the reload lock (it must not
  // call refresh()); may be empty.
  std::function<void()> on_reload;
};

class ApiKeys {
 public:
  // Loads every key, then starts the poller.
  static core::Result<std::unique_ptr<ApiKeys>> open(ApiKeysOptions options);
  ~ApiKeys();
  ApiKeys(const ApiKeys&) = delete;
  ApiKeys& operator=(const ApiKeys&) = delete;

  // Thread-safe, never blocks on I/O: SHA-256 of the token, one map lookup, a constant-time
  // comparison of digests. Failures (kPermissionDenied; HTTP 401) say which: no key, not an Anvil
  // key, unknown key, revoked key. Messages never contain the token.
  core::Result<std::shared_ptr<const Principal>> authenticate(std::string_view token) const;
  // The same from an Authorization header value ("Bearer ak-...").
  core::Result<std::shared_ptr<const Principal>> authenticate_header(std::string_view authorization) const;

  // Reloads the keys when the change counter moved since the last load; true when it reloaded.
  // Called by the poller; tests call it directly.
  core::Result<bool> refresh();

  // Keys in memory, revoked ones included.
  size_t size() const;

 private:
  struct Entry;
  struct Snapshot;

  ApiKeys(ApiKeysOptions options, store::KeyStore store);
  core::Status load();  // holds refresh_mu_
  void poll_loop();

  ApiKeysOptions options_;
  std::optional<KeyDigest> admin_digest_;
  std::shared_ptr<const Principal> admin_;

  // Readers load the snapshot pointer; a reload builds a new map and swaps it in.
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;

  std::mutex refresh_mu_;  // the store's connection is single-threaded
  store::KeyStore store_;
  int64_t loaded_counter_ = -1;

  std::mutex poll_mu_;
  std::condition_variable poll_cv_;
  bool stopping_ = false;
  std::thread poller_;

  core::Counter* reloads_ = nullptr;
  core::Counter* poll_errors_ = nullptr;
};

}  // namespace anvil::gateway
