#include "anvil/gateway/api_keys.h"

#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "anvil/core/log.h"

namespace anvil::gateway {

using core::Result;
using core::Status;

struct ApiKeys::Entry {
  std::shared_ptr<const Principal> principal;
  std::optional<std::string> revoked_at;
};

namespace {

// Digests are uniformly distributed: their first 8 bytes are a good hash.
struct DigestHash {
  size_t operator()(const KeyDigest& d) const {
    size_t h;
    std::memcpy(&h, d.data(), sizeof(h));
    return h;
  }
};

Status denied(std::string message) { return Status::permission_denied(std::move(message)); }

}  // namespace

struct ApiKeys::Snapshot {
  std::unordered_map<KeyDigest, Entry, DigestHash> by_digest;
};

KeyLimits key_limits(const store::ApiKeyLimits& limits) {
  return {.requests_per_minute = limits.requests_per_minute.value_or(0),
          .tokens_per_minute = limits.tokens_per_minute.value_or(0),
          .budget_usd = limits.budget_usd.value_or(0.0),
          .max_prompt_tokens = limits.max_prompt_tokens.value_or(0)};
}

Result<IssuedKey> issue_api_key(store::KeyStore& keys, std::string name, std::string tenant,
                                const store::ApiKeyLimits& limits) {
  ANVIL_ASSIGN_OR_RETURN(std::string secret, generate_api_key());
  ANVIL_ASSIGN_OR_RETURN(auto record, keys.create({.name = std::move(name),
                                                   .tenant = std::move(tenant),
                                                   .prefix = api_key_prefix(secret),
                                                   .key_sha256 = digest_hex(api_key_digest(secret)),
                                                   .limits = limits}));
  return IssuedKey{std::move(record), std::move(secret)};
}

ApiKeys::ApiKeys(ApiKeysOptions options, store::KeyStore store)
    : options_(std::move(options)), store_(std::move(store)) {}

Result<std::unique_ptr<ApiKeys>> ApiKeys::open(ApiKeysOptions options) {
  ANVIL_ASSIGN_OR_RETURN(auto store, store::KeyStore::open(options.database));
  std::unique_ptr<ApiKeys> keys(new ApiKeys(std::move(options), std::move(store)));
  auto* metrics = keys->options_.metrics;
  ANVIL_ASSIGN_OR_RETURN(keys->reloads_, metrics->counter("anvil_api_key_reloads_total",
                                                          "Reloads of the API keys after a change in anvil.db"));
  ANVIL_ASSIGN_OR_RETURN(keys->poll_errors_, metrics->counter("anvil_api_key_poll_errors_total",
                                                              "Failed polls of the API key change counter"));
  if (!keys->options_.admin_key.empty()) {
    keys->admin_digest_ = api_key_digest(keys->options_.admin_key);
    keys->admin_ = std::make_shared<const Principal>(Principal{.name = "admin", .admin = true});
  }
  {
    std::lock_guard lock(keys->refresh_mu_);
    ANVIL_RETURN_IF_ERROR(keys->load());
  }
  if (keys->options_.poll_interval.count() > 0) {
    keys->poller_ = std::thread([k = keys.get()] { k->poll_loop(); });
  }
  return keys;
}

ApiKeys::~ApiKeys() {
  {
    std::lock_guard lock(poll_mu_);
    stopping_ = true;
  }
  poll_cv_.notify_all();
  if (poller_.joinable()) poller_.join();
}

Status ApiKeys::load() {
  // The counter is read first: a change that lands while the keys are read moves it past what is
  // recorded here, so the next poll loads again rather than missing it.
  ANVIL_ASSIGN_OR_RETURN(int64_t counter, store_.change_counter());
  ANVIL_ASSIGN_OR_RETURN(auto records, store_.list());
  auto snap = std::make_shared<Snapshot>();
  snap->by_digest.reserve(records.size());
  for (auto& r : records) {
    KeyDigest digest{};
    if (r.key_sha256.size() != 64) {
      return Status::corrupt("API key " + std::to_string(r.id) + ": stored digest is not 64 hex digits");
    }
    for (size_t i = 0; i < digest.size(); ++i) {
      auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
      digest[i] = static_cast<std::uint8_t>(nibble(r.key_sha256[2 * i]) << 4 | nibble(r.key_sha256[2 * i + 1]));
    }
    auto principal = std::make_shared<const Principal>(Principal{.key_id = std::to_string(r.id),
                                                                 .name = std::move(r.name),
                                                                 .tenant = std::move(r.tenant),
                                                                 .prefix = std::move(r.prefix),
                                                                 .limits = key_limits(r.limits)});
    snap->by_digest[digest] = Entry{std::move(principal), std::move(r.revoked_at)};
  }
  snapshot_.store(std::move(snap));
  loaded_counter_ = counter;
  return {};
}

Result<bool> ApiKeys::refresh() {
  std::lock_guard lock(refresh_mu_);
  ANVIL_ASSIGN_OR_RETURN(int64_t counter, store_.change_counter());
  if (counter == loaded_counter_) return false;
  ANVIL_RETURN_IF_ERROR(load());
  reloads_->inc();
  if (options_.on_reload) options_.on_reload();
  return true;
}

void ApiKeys::poll_loop() {
  std::unique_lock lock(poll_mu_);
  while (!stopping_) {
    if (poll_cv_.wait_for(lock, options_.poll_interval, [this] { return stopping_; })) break;
    lock.unlock();
    auto r = refresh();
    if (!r.ok()) {
      poll_errors_->inc();
      core::log::warn("API keys: cannot check for changes: {}", r.status().to_string());
    } else if (*r) {
      core::log::info("API keys: reloaded {} keys after a change", size());
    }
    lock.lock();
  }
}

size_t ApiKeys::size() const { return snapshot_.load()->by_digest.size(); }

Result<std::shared_ptr<const Principal>> ApiKeys::authenticate(std::string_view token) const {
  if (token.empty()) return denied("missing API key: expected 'Authorization: Bearer <key>'");
  const KeyDigest digest = api_key_digest(token);
  // The admin key is compared digest to digest in constant time, so response times say nothing
  // about how much of a guess matched. Lookups in the map compare digests too: an attacker who
  // learns a digest prefix from timing still cannot find a key with it.
  if (admin_digest_ && digests_equal(digest, *admin_digest_)) return admin_;
  if (!token.starts_with(kApiKeyMarker) || token.size() != kApiKeyLength) {
    return denied(fmt::format("invalid API key: expected '{}' followed by {} characters (a key made by "
                              "`anvil keys create`), found {} characters of another form",
                              kApiKeyMarker, kApiKeyLength - kApiKeyMarker.size(), token.size()));
  }
  auto snap = snapshot_.load();
  auto it = snap->by_digest.find(digest);
  if (it == snap->by_digest.end()) {
    return denied("invalid API key: no key of this server matches it (revoked keys are reported as revoked)");
  }
  const Entry& e = it->second;
  if (e.revoked_at) {
    return denied(fmt::format("API key {} ('{}') was revoked at {}", e.principal->prefix, e.principal->name,
                              *e.revoked_at));
  }
  return e.principal;
}

Result<std::shared_ptr<const Principal>> ApiKeys::authenticate_header(std::string_view authorization) const {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  authorization = trim(authorization);
  if (authorization.empty()) return authenticate("");
  size_t space = authorization.find(' ');
  std::string_view scheme = authorization.substr(0, space);
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  bool bearer = scheme.size() == 6;
  for (size_t i = 0; bearer && i < 6; ++i) bearer = lower(scheme[i]) == "bearer"[i];
  if (!bearer) {
    // The scheme is echoed only when it cannot be a key sent without "Bearer ".
    bool printable = scheme.size() <= 8 && !scheme.starts_with(kApiKeyMarker);
    return denied(fmt::format("expected 'Authorization: Bearer <key>', found {}",
                              printable ? fmt::format("the scheme '{}'", scheme) : std::string("no 'Bearer' scheme")));
  }
  return authenticate(space == std::string_view::npos ? std::string_view{} : trim(authorization.substr(space)));
}

}  // namespace anvil::gateway
