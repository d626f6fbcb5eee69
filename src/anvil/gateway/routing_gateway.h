// The gateway the server calls: for each call, the response cache, then the router's deployments
// (each admitted by its circuit breaker) with retries per the retry policy, then the fallback
// models, and as a last resort a cached answer; usage priced at the answering deployment.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "anvil/core/metrics.h"
#include "anvil/core/status.h"
#include "anvil/gateway/breaker_board.h"
#include "anvil/gateway/gateway.h"
#include "anvil/gateway/gateway_config.h"
#include "anvil/gateway/gateway_metrics.h"
#include "anvil/gateway/monotonic_clock.h"
#include "anvil/gateway/prompt_counter.h"
#include "anvil/gateway/response_cache.h"
#include "anvil/gateway/retry_policy.h"
#include "anvil/gateway/router.h"
#include "anvil/gateway/sleeper.h"

namespace anvil::gateway {

// Providers by the name deployments use in `provider` ("openai", "local"); not owned.
using ProviderMap = std::map<std::string, Provider*, std::less<>>;

struct RoutingGatewayOptions {
  const MonotonicClock* clock = &MonotonicClock::system();
  Sleeper* sleeper = nullptr;  // null: an AsioSleeper (timers on the caller's executor)
  core::MetricsRegistry* metrics = &core::MetricsRegistry::global();  // null: no metrics
  std::uint64_t seed = std::random_device{}();  // jitter and weighted routing
};

// Thread-safe: one instance serves every I/O thread; a call stays on its caller's executor.
class RoutingGateway final : public Gateway {
 public:
  // Checks that every deployment's provider is in `providers` and every name a model refers to
  // is defined: "deployment 'x' uses provider 'y', which is not available (available: local, openai)".
  static core::Result<std::unique_ptr<RoutingGateway>> create(GatewayConfig config,
                                                              ProviderMap providers,
                                                              RoutingGatewayOptions options = {});

  std::vector<ModelInfo> models() const override;
  bool has_model(std::string_view logical_model) const override;
  std::int64_t max_prompt_tokens(std::string_view logical_model) const override;
  // With the first deployment of the model that can count exactly: one with a `tokenizer` file,
  // or one whose provider counts (local); otherwise an estimate.
  core::Result<PromptCount> count_prompt_tokens(std::string_view logical_model, Operation op,
                                                const boost::json::object& body) const override;
  boost::asio::awaitable<CallResult> complete(Operation op, boost::json::object body,
                                              const CallContext& context) override;
  boost::asio::awaitable<CallResult> stream(Operation op, boost::json::object body,
                                            const CallContext& context, StreamSink& sink) override;

  // For `anvil status` and tests.
  std::vector<BreakerSnapshot> breakers() const { return breakers_.snapshot(); }
  const ResponseCache& cache() const { return cache_; }
  const GatewayConfig& config() const { return config_; }

 private:
  struct DeploymentRuntime {
    Provider* provider = nullptr;
    DeploymentMetrics metrics;
    std::shared_ptr<const PromptTokenizer> tokenizer;  // from Deployment::tokenizer; may be null
  };

  RoutingGateway(GatewayConfig config, ProviderMap providers, RoutingGatewayOptions options);

  // The answer's usage and cost, from `deployment`, into `result` and the metrics.
  void bill(CallResult& result, const Deployment& deployment, const DeploymentRuntime& runtime,
            const Usage& usage) const;

  // One call; `sink` null: not streamed.
  boost::asio::awaitable<CallResult> call(Operation op, boost::json::object body,
                                          const CallContext& context, StreamSink* sink);

  GatewayConfig config_;  // first: the router and the maps below point into it
  ProviderMap providers_;
  const MonotonicClock& clock_;
  AsioSleeper default_sleeper_;
  Sleeper& sleeper_;
  BreakerBoard breakers_;
  Router router_;
  RetryPolicy retry_;
  ResponseCache cache_;
  std::unordered_map<const Deployment*, DeploymentRuntime> deployments_;
  std::unordered_map<const ModelRoute*, ModelMetrics> model_metrics_;
};

}  // namespace anvil::gateway
