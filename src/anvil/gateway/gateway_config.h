// The routing configuration: deployments, logical models with their fallback chains and cache
// settings, and the retry, breaker and cache parameters, read from the [gateway] tables of
// anvil.toml (docs/GATEWAY.md lists every key with its default).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/secrets.h"
#include "anvil/core/status.h"
#include "anvil/gateway/circuit_breaker.h"
#include "anvil/gateway/deployment.h"
#include "anvil/gateway/local_options.h"
#include "anvil/gateway/retry_policy.h"

namespace anvil::gateway {

// Per logical model: whether its answers are cached, and for how long.
struct ModelCache {
  bool enabled = false;
  std::chrono::seconds ttl{300};  // an entry answers identical requests this long
  // An entry this old or younger may still answer when every deployment failed (the "cached
  // answer" fallback); 0: no such fallback. Counted from when the entry was stored.
  std::chrono::seconds stale_ttl{86400};
};

struct ModelRoute {
  std::string name;                      // the logical model clients ask for
  std::vector<std::string> deployments;  // tried in weighted random order
  std::vector<std::string> fallbacks;    // logical models, in order, on deployment faults
  std::vector<std::string> context_window_fallbacks;  // ... when the prompt does not fit
  ModelCache cache;
  // Prompt tokens a request may carry; nullopt: GatewayConfig::max_prompt_tokens; 0: no limit.
  std::optional<std::int64_t> max_prompt_tokens;
};

// The response cache as a whole (ResponseCache): bounds shared by every model that caches.
struct CacheSettings {
  std::int64_t max_entries = 10000;
  std::int64_t max_bytes = std::int64_t{256} << 20;
  int shards = 16;  // independently locked parts; each holds 1/shards of the bounds
};

struct GatewayConfig {
  std::vector<Deployment> deployments;
  std::vector<ModelRoute> models;
  RetrySettings retry;
  BreakerSettings breaker;
  CacheSettings cache;
  LocalProviderOptions local;  // [gateway.local]: how "local" deployments run
  // The deadline of a call whose context gives none (from its start, across all attempts).
  std::chrono::milliseconds request_timeout{600000};
  // Prompt tokens a request may carry, for models that set none; 0: no limit. Over it: 400.
  std::int64_t max_prompt_tokens = 1000;

  const Deployment* find_deployment(std::string_view name) const;
  const ModelRoute* find_model(std::string_view name) const;
};

// Reads the [gateway] tables of an anvil.toml document (other tables are not looked at), checks
// every reference and resolves each deployment's api_key_secret through `secrets` (null: keys
// stay unresolved, for `anvil config check` without secrets). All errors are reported together,
// one per line, with file:line and what was expected and found:
//   "anvil.toml:12: deployment 'x' in model 'chat' is not defined (defined: a, b)".
core::Result<GatewayConfig> parse_gateway_config(std::string_view toml_text,
                                                 std::string_view source_name,
                                                 const core::SecretStore* secrets);

core::Result<GatewayConfig> load_gateway_config(const std::filesystem::path& path,
                                                const core::SecretStore* secrets);

}  // namespace anvil::gateway
