// Cost of the gateway's policies per call, the part of Anvil's added latency that is not I/O:
// breaker admission and outcome, router plan, cache key and lookup, rate-limit check, and a whole
// RoutingGateway::complete() against a provider that answers at once (no network, no server).
// Google Benchmark; the /threads:2 variants show contention on this 2-core machine.
//   gateway_policies_bench [--benchmark_filter=REGEX]
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include "anvil/gateway/rate_limiter.h"
#include "anvil/gateway/response_cache.h"
#include "anvil/gateway/routing_gateway.h"

namespace {

using namespace anvil::gateway;

// A typical small chat request (~600 bytes of JSON).
boost::json::object chat_body() {
  return boost::json::parse(R"({
    "model": "chat", "temperature": 0.2, "max_tokens": 256, "user": "u-42",
    "messages": [
      {"role": "system", "content": "You are a concise assistant that answers in one paragraph."},
      {"role": "user", "content": "Explain what a circuit breaker does in a service gateway, and why a half-open state admits a single probe request instead of letting all traffic through at once."}
    ],
    "metadata": {"team": "search", "feature": "answers"}})")
      .as_object();
}

class InstantProvider final : public Provider {
 public:
  boost::asio::awaitable<Attempt> complete(const Deployment&, const ProviderRequest&) override {
    Attempt a;
    a.response.body = R"({"id":"chatcmpl-1","object":"chat.completion","choices":[]})";
    a.response.usage = {.prompt_tokens = 60, .completion_tokens = 40, .cached_tokens = 0, .reported = true};
    co_return a;
  }
  boost::asio::awaitable<StreamAttempt> stream(const Deployment&, const ProviderRequest&,
                                               StreamSink&) override {
    co_return StreamAttempt{};
  }
};

GatewayConfig two_deployments(bool cache) {
  GatewayConfig c;
  for (const char* name : {"a", "b"}) {
    Deployment d;
    d.name = name;
    d.provider = "instant";
    d.model = std::string("upstream-") + name;
    d.price = {.prompt_per_million = 0.15, .completion_per_million = 0.6, .cached_per_million = 0.075};
    c.deployments.push_back(d);
  }
  ModelRoute m;
  m.name = "chat";
  m.deployments = {"a", "b"};
  m.cache.enabled = cache;
  c.models.push_back(m);
  return c;
}

void BM_BreakerAdmitRecord(benchmark::State& state) {
  static CircuitBreaker breaker("d", BreakerSettings{}, MonotonicClock::system());
  for (auto _ : state) {
    Admission a = breaker.admit();
    breaker.record(a, BreakerOutcome::kSuccess);
  }
}
BENCHMARK(BM_BreakerAdmitRecord)->Threads(1)->Threads(2);

void BM_RoutePlanFirstCandidate(benchmark::State& state) {
  static const GatewayConfig config = two_deployments(false);
  static BreakerBoard breakers({"a", "b"}, BreakerSettings{}, MonotonicClock::system(), nullptr);
  static Router router(config, breakers, 1);
  const ModelRoute& model = *router.find("chat");
  for (auto _ : state) {
    RoutePlan plan = router.plan(model, 0);
    auto candidate = plan.next();
    benchmark::DoNotOptimize(candidate);
    candidate->breaker->record(candidate->admission, BreakerOutcome::kSuccess);
  }
}
BENCHMARK(BM_RoutePlanFirstCandidate)->Threads(1)->Threads(2);

void BM_CacheKey(benchmark::State& state) {
  const boost::json::object body = chat_body();
  for (auto _ : state) {
    benchmark::DoNotOptimize(response_cache_key(Operation::kChatCompletions, body, false));
  }
}
BENCHMARK(BM_CacheKey);

void BM_CacheHit(benchmark::State& state) {
  static ResponseCache cache(CacheSettings{}, MonotonicClock::system());
  const std::string key = response_cache_key(Operation::kChatCompletions, chat_body(), false);
  if (state.thread_index() == 0) {
    CachedAnswer answer;
    answer.response.body = std::string(800, 'x');
    cache.insert(key, answer);
  }
  for (auto _ : state) benchmark::DoNotOptimize(cache.find(key, std::chrono::seconds(60)));
}
BENCHMARK(BM_CacheHit)->Threads(1)->Threads(2);

void BM_RateLimiterAdmit(benchmark::State& state) {
  static RateLimiter limiter(MonotonicClock::system());
  const KeyLimits limits{.requests_per_minute = 1'000'000'000, .tokens_per_minute = 0};
  const std::string key = "key-" + std::to_string(state.thread_index());
  for (auto _ : state) benchmark::DoNotOptimize(limiter.admit(key, limits, 300));
}
BENCHMARK(BM_RateLimiterAdmit)->Threads(1)->Threads(2);

// One whole call through the gateway, the request body copied in as the server would.
void gateway_complete(benchmark::State& state, bool cache) {
  InstantProvider provider;
  anvil::core::MetricsRegistry registry;  // counted as in production
  auto gateway = RoutingGateway::create(two_deployments(cache), {{"instant", &provider}},
                                        {.metrics = &registry, .seed = 1});
  const boost::json::object body = chat_body();
  CallContext context;
  context.request_id = "bench";
  boost::asio::io_context io;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        for (auto _ : state) {
          CallResult r = co_await (*gateway)->complete(Operation::kChatCompletions, body, context);
          benchmark::DoNotOptimize(r);
        }
      },
      boost::asio::detached);
  io.run();
}
void BM_GatewayComplete(benchmark::State& state) { gateway_complete(state, false); }
void BM_GatewayCompleteCacheHit(benchmark::State& state) { gateway_complete(state, true); }
BENCHMARK(BM_GatewayComplete);
BENCHMARK(BM_GatewayCompleteCacheHit);

}  // namespace

BENCHMARK_MAIN();
