#include "anvil/gateway/routing_gateway.h"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/json/parse.hpp>

#include "gateway/route_fixtures.h"
#include "gateway/scripted_provider.h"

namespace anvil::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::fail;
using testing::http;
using testing::ok;
using testing::RecordingSink;
using testing::RecordingSleeper;
using testing::run;
using testing::ScriptedProvider;
using testing::Step;

using testing::model;

// A scripted deployment priced $2 / $8 / $1 per 1M prompt / completion / cached tokens.
Deployment deployment(std::string name, std::int64_t context_window = 0) {
  Deployment d = testing::deployment(std::move(name), 1, context_window);
  d.price = {.prompt_per_million = 2.0, .completion_per_million = 8.0, .cached_per_million = 1.0};
  return d;
}

boost::json::object chat_body(std::string_view model_name = "chat") {
  boost::json::object body =
      boost::json::parse(R"({"messages":[{"role":"user","content":"hello"}],"max_tokens":100})")
          .as_object();
  body["model"] = model_name;
  return body;
}

class RoutingGatewayTest : public ::testing::Test {
 protected:
  RoutingGatewayTest() : provider_(&clock_), sleeper_(clock_) {}

  // A gateway over `config` with the scripted provider, the manual clock and recorded sleeps.
  void build(GatewayConfig config) {
    auto created = RoutingGateway::create(std::move(config), {{"scripted", &provider_}},
                                          {.clock = &clock_,
                                           .sleeper = &sleeper_,
                                           .metrics = &registry_,
                                           .seed = 99});
    ASSERT_TRUE(created.ok()) << created.status().to_string();
    gateway_ = std::move(created).value();
  }

  // Defaults for the tests: 3 attempts per deployment, deadline far away.
  static GatewayConfig base_config() {
    GatewayConfig c;
    c.retry = {.max_attempts = 3, .base_delay = milliseconds(100), .max_delay = milliseconds(1000)};
    return c;
  }

  // Model "chat" on deployment "a", falling back to model "backup" on deployment "b".
  void build_with_backup(int max_attempts = 3) {
    GatewayConfig c = base_config();
    c.retry.max_attempts = max_attempts;
    c.deployments = {deployment("a"), deployment("b")};
    c.models = {model("chat", {"a"}, {"backup"}), model("backup", {"b"})};
    build(c);
  }

  // Model "chat" on deployment "a" alone, whose breaker opens on its first failure; opens it.
  GatewayConfig build_and_open_single_breaker() {
    GatewayConfig c = base_config();
    c.retry.max_attempts = 1;
    c.breaker.consecutive_failures = 1;
    c.deployments = {deployment("a")};
    c.models = {model("chat", {"a"})};
    build(c);
    provider_.script("a", {http(500)});
    EXPECT_FALSE(complete().ok());
    EXPECT_EQ(gateway_->breakers().front().state, BreakerState::kOpen);
    return c;
  }

  CallContext context(std::chrono::milliseconds timeout = seconds(600)) {
    CallContext ctx;
    ctx.request_id = "req-1";
    ctx.deadline = clock_.now() + timeout;
    return ctx;
  }

  CallResult complete(boost::json::object body, const CallContext& ctx) {
    return run(gateway_->complete(Operation::kChatCompletions, std::move(body), ctx));
  }
  CallResult complete(std::string_view model_name = "chat") {
    return complete(chat_body(model_name), context());
  }
  CallResult stream(RecordingSink& sink, std::string_view model_name = "chat") {
    return run(gateway_->stream(Operation::kChatCompletions, chat_body(model_name), context(), sink));
  }

  std::string metrics() const { return registry_.expose(); }

  ManualClock clock_;
  ScriptedProvider provider_;
  RecordingSleeper sleeper_;
  core::MetricsRegistry registry_;
  std::unique_ptr<RoutingGateway> gateway_;
};

TEST_F(RoutingGatewayTest, TwoFailuresThenSuccessOnTheSameDeployment) {
  GatewayConfig c = base_config();
  c.deployments = {deployment("a")};
  c.models = {model("chat", {"a"})};
  build(c);
  provider_.script("a", {http(503), fail(FailureKind::kReset), ok(R"({"answer":1})")});
  CallResult r = complete();
  ASSERT_TRUE(r.ok()) << r.failure->message;
  EXPECT_EQ(r.response.body, R"({"answer":1})");
  EXPECT_EQ(r.deployment, "a");
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(r.fallbacks, 0);
  // Full jitter under 100 ms, then under 200 ms.
  ASSERT_EQ(sleeper_.delays.size(), 2u);
  EXPECT_LE(sleeper_.delays[0], milliseconds(100));
  EXPECT_LE(sleeper_.delays[1], milliseconds(200));
  // The upstream saw its own model name, not the logical one.
  for (const auto& call : provider_.calls()) EXPECT_EQ(call.model, "upstream-a");
  // 10 prompt tokens at $2/M + 5 completion tokens at $8/M.
  EXPECT_DOUBLE_EQ(r.cost_usd, (10 * 2.0 + 5 * 8.0) / 1e6);
  EXPECT_NE(metrics().find(R"(anvil_gateway_retries_total{deployment="a"} 2)"), std::string::npos)
      << metrics();
  EXPECT_NE(metrics().find(R"(anvil_gateway_upstream_attempts_total{deployment="a",outcome="http_status"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics().find(R"(anvil_gateway_tokens_total{deployment="a",type="prompt"} 10)"), std::string::npos)
      << metrics();
  EXPECT_NE(metrics().find(R"(anvil_gateway_tokens_total{deployment="a",type="completion"} 5)"), std::string::npos);
  EXPECT_NE(metrics().find(R"(anvil_gateway_cost_usd_total{deployment="a"} 6e-05)"), std::string::npos)
      << metrics();
}

TEST_F(RoutingGatewayTest, RetryAfterIsTheDelay) {
  GatewayConfig c = base_config();
  c.deployments = {deployment("a")};
  c.models = {model("chat", {"a"})};
  build(c);
  provider_.script("a", {http(429, seconds(3)), ok()});
  CallResult r = complete();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(sleeper_.delays, (std::vector<milliseconds>{milliseconds(3000)}));
}

TEST_F(RoutingGatewayTest, ClientErrorsAreTheAnswer) {
  build_with_backup();
  Step bad = http(400);
  bad.failure->body = R"({"error":{"message":"bad temperature"}})";
  provider_.script("a", {bad});
  CallResult r = complete();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->http_status, 400);
  EXPECT_EQ(r.failure->body, R"({"error":{"message":"bad temperature"}})");
  EXPECT_EQ(r.attempts, 1);
  EXPECT_TRUE(sleeper_.delays.empty());
  EXPECT_EQ(provider_.deployments_called(), (std::vector<std::string>{"a"}));
}

TEST_F(RoutingGatewayTest, FallbackChainInOrder) {
  GatewayConfig c = base_config();
  c.retry.max_attempts = 2;
  c.deployments = {deployment("a"), deployment("b"), deployment("c")};
  c.models = {model("chat", {"a"}, {"second", "third"}), model("second", {"b"}),
              model("third", {"c"})};
  build(c);
  provider_.script("a", {http(500), http(502)});
  provider_.script("b", {http(401)});  // a bad upstream key: not retried, but moved past
  provider_.script("c", {ok(R"({"from":"c"})")});
  CallResult r = complete();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.deployment, "c");
  EXPECT_EQ(r.attempts, 4);
  EXPECT_EQ(r.fallbacks, 2);
  EXPECT_EQ(provider_.deployments_called(), (std::vector<std::string>{"a", "a", "b", "c"}));
  EXPECT_EQ(provider_.calls().back().model, "upstream-c");
  EXPECT_NE(metrics().find(R"(anvil_gateway_fallbacks_total{model="chat"} 2)"), std::string::npos);
}

TEST_F(RoutingGatewayTest, EveryDeploymentFailingReturnsTheLastFailure) {
  build_with_backup(1);
  provider_.script("a", {http(500)});
  provider_.script("b", {http(503, seconds(7))});
  CallResult r = complete();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->http_status, 503);
  EXPECT_EQ(r.failure->retry_after, std::optional(milliseconds(7000)));
  EXPECT_EQ(r.attempts, 2);
}

TEST_F(RoutingGatewayTest, ContextOverflowTakesTheContextChain) {
  GatewayConfig c = base_config();
  c.deployments = {deployment("small", 8192), deployment("long", 131072), deployment("other")};
  c.models = {model("chat", {"small"}, {"fallback"}, {"chat-long"}), model("chat-long", {"long"}),
              model("fallback", {"other"})};
  build(c);
  provider_.script("small", {fail(FailureKind::kContextOverflow)});
  provider_.script("long", {ok(R"({"from":"long"})")});
  CallResult r = complete();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.deployment, "long");
  EXPECT_EQ(r.attempts, 2);  // overflow is not retried
  EXPECT_TRUE(sleeper_.delays.empty());

  // With the prompt counted by the server, the small deployment is not even tried.
  provider_.script("long", {ok(R"({"from":"long"})")});
  CallContext ctx = context();
  ctx.prompt_tokens = 9000;
  r = complete(chat_body(), ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.deployment, "long");
  EXPECT_EQ(r.attempts, 1);
}

TEST_F(RoutingGatewayTest, NoWindowLargeEnoughIsAContextOverflow) {
  GatewayConfig c = base_config();
  c.deployments = {deployment("small", 8192)};
  c.models = {model("chat", {"small"})};
  build(c);
  CallContext ctx = context();
  ctx.prompt_tokens = 8100;  // + max_tokens 100 = 8200 > 8192
  CallResult r = complete(chat_body(), ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kContextOverflow);
  EXPECT_EQ(r.failure->message,
            "the request needs 8200 tokens (prompt and max_tokens), more than the context window "
            "of every deployment of model 'chat' and of its context_window_fallbacks");
  EXPECT_EQ(r.attempts, 0);
}

TEST_F(RoutingGatewayTest, BreakerOpensAfterTheThresholdThenProbes) {
  GatewayConfig c = base_config();
  c.retry.max_attempts = 1;
  c.breaker.consecutive_failures = 3;
  c.breaker.cooldown = seconds(30);
  c.deployments = {deployment("a"), deployment("b")};
  c.models = {model("chat", {"a"}, {"backup"}), model("backup", {"b"})};
  build(c);
  provider_.script("a", {http(503), http(503), http(503)});
  provider_.script("b", {ok(), ok(), ok(), ok(), ok()});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(complete().ok());
  EXPECT_EQ(gateway_->breakers().front().state, BreakerState::kOpen);
  EXPECT_NE(metrics().find(R"(anvil_gateway_breaker_state{deployment="a"} 2)"), std::string::npos)
      << metrics();
  // Open: "a" is not called at all.
  CallResult r = complete();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.deployment, "b");
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(provider_.deployments_called().size(), 7u);  // a,b x3 then b
  // After the cooldown one probe goes to "a"; it fails, the breaker re-opens.
  clock_.advance(seconds(30));
  provider_.script("a", {http(503)});
  r = complete();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(provider_.calls()[7].deployment, "a");
  EXPECT_EQ(gateway_->breakers().front().state, BreakerState::kOpen);
  // Next cooldown: the probe succeeds and the breaker closes.
  clock_.advance(seconds(30));
  provider_.script("a", {ok(R"({"from":"a"})")});
  r = complete();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.deployment, "a");
  EXPECT_EQ(gateway_->breakers().front().state, BreakerState::kClosed);
  EXPECT_NE(metrics().find(R"(anvil_gateway_breaker_transitions_total{deployment="a",to="open"} 2)"),
            std::string::npos);
}

TEST_F(RoutingGatewayTest, NothingAvailableSaysWhy) {
  build_and_open_single_breaker();
  CallResult r = complete();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->http_status, 503);
  EXPECT_EQ(r.failure->message,
            "no deployment of model 'chat' is available: 1 refused by an open circuit breaker");
  EXPECT_EQ(r.attempts, 0);
}

// A probe whose call is abandoned (its coroutine destroyed at shutdown) gives the probe back.
TEST_F(RoutingGatewayTest, AbandonedProbeIsReleased) {
  const GatewayConfig c = build_and_open_single_breaker();
  clock_.advance(c.breaker.cooldown);
  Step hang = ok();
  hang.hang = true;
  provider_.script("a", {hang});
  {
    boost::asio::io_context io;
    boost::asio::co_spawn(io, gateway_->complete(Operation::kChatCompletions, chat_body(), context()),
                          boost::asio::detached);
    io.poll();  // the probe is in flight, waiting on the upstream
    ASSERT_EQ(provider_.calls().size(), 2u);
    EXPECT_EQ(gateway_->breakers().front().state, BreakerState::kHalfOpen);
  }  // destroying the context destroys the suspended call
  provider_.script("a", {ok()});
  CallResult r = complete();
  ASSERT_TRUE(r.ok());  // the next caller got the probe
  EXPECT_EQ(gateway_->breakers().front().state, BreakerState::kClosed);
}

TEST_F(RoutingGatewayTest, StreamStartedIsNeitherRetriedNorMoved) {
  build_with_backup();
  Step cut = fail(FailureKind::kReset);
  cut.chunks = {R"({"n":1})"};  // one chunk reached the client, then the connection dropped
  provider_.script("a", {cut});
  RecordingSink sink;
  CallResult r = stream(sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kReset);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.fallbacks, 0);
  EXPECT_EQ(sink.events, (std::vector<std::string>{R"({"n":1})"}));
  EXPECT_TRUE(sleeper_.delays.empty());
}

TEST_F(RoutingGatewayTest, StreamFailingBeforeTheFirstByteFallsBack) {
  build_with_backup(1);
  Step refused = fail(FailureKind::kConnect);
  refused.chunks.clear();
  provider_.script("a", {refused});
  Step good = ok();
  good.chunks = {R"({"b":1})", R"({"b":2})"};
  good.usage = {.prompt_tokens = 100, .completion_tokens = 20, .cached_tokens = 40, .reported = true};
  provider_.script("b", {good});
  RecordingSink sink;
  CallResult r = stream(sink);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.deployment, "b");
  EXPECT_EQ(r.fallbacks, 1);
  EXPECT_EQ(sink.events, (std::vector<std::string>{R"({"b":1})", R"({"b":2})"}));
  EXPECT_EQ(r.usage.completion_tokens, 20);
  // 60 uncached prompt tokens at $2/M, 40 cached at $1/M, 20 completion at $8/M.
  EXPECT_DOUBLE_EQ(r.cost_usd, (60 * 2.0 + 40 * 1.0 + 20 * 8.0) / 1e6);
  EXPECT_TRUE(provider_.calls()[1].stream);
}

TEST_F(RoutingGatewayTest, CacheHitsIgnoreUserAndMetadata) {
  GatewayConfig c = base_config();
  c.deployments = {deployment("a")};
  ModelRoute m = model("chat", {"a"});
  m.cache = {.enabled = true, .ttl = seconds(60), .stale_ttl = seconds(3600)};
  c.models = {m};
  build(c);
  provider_.script("a", {ok(R"({"answer":"cached"})"), ok(R"({"answer":"fresh"})")});
  CallResult first = complete();
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first.cache_hit);
  boost::json::object again = chat_body();
  again["user"] = "someone-else";
  again["metadata"] = boost::json::object{{"team", "x"}};
  CallResult second = complete(again, context());
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second.cache_hit);
  EXPECT_FALSE(second.cached_fallback);
  EXPECT_EQ(second.response.body, R"({"answer":"cached"})");
  EXPECT_EQ(second.cost_usd, 0);
  EXPECT_EQ(second.attempts, 0);
  EXPECT_EQ(provider_.calls().size(), 1u);
  // Past the TTL the upstream answers again.
  clock_.advance(seconds(61));
  CallResult third = complete();
  EXPECT_FALSE(third.cache_hit);
  EXPECT_EQ(third.response.body, R"({"answer":"fresh"})");
  EXPECT_NE(metrics().find(R"(anvil_gateway_cache_total{model="chat",result="hit"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics().find(R"(anvil_gateway_cache_total{model="chat",result="miss"} 2)"),
            std::string::npos);
}

TEST_F(RoutingGatewayTest, CachedStreamsAreReplayedAsChunks) {
  GatewayConfig c = base_config();
  c.deployments = {deployment("a")};
  ModelRoute m = model("chat", {"a"});
  m.cache.enabled = true;
  c.models = {m};
  build(c);
  Step s = ok();
  s.chunks = {R"({"c":1})", R"({"c":2})", R"({"c":3})"};
  provider_.script("a", {s});
  RecordingSink first;
  ASSERT_TRUE(stream(first).ok());
  RecordingSink second;
  CallResult r = stream(second);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.cache_hit);
  EXPECT_EQ(second.events, first.events);
  EXPECT_EQ(r.usage.completion_tokens, 5);
  // A client that leaves mid-stream leaves nothing in the cache: the same request goes upstream.
  Step other = ok();
  other.chunks = {R"({"d":1})", R"({"d":2})"};
  provider_.script("a", {other, other});
  boost::json::object body = chat_body();
  body["temperature"] = 0;  // another request than the cached one
  RecordingSink leaves(1);
  CallResult left = run(gateway_->stream(Operation::kChatCompletions, body, context(), leaves));
  ASSERT_FALSE(left.ok());
  EXPECT_EQ(left.failure->kind, FailureKind::kCancelled);
  EXPECT_EQ(leaves.events.size(), 1u);
  RecordingSink again;
  CallResult full = run(gateway_->stream(Operation::kChatCompletions, body, context(), again));
  ASSERT_TRUE(full.ok());
  EXPECT_FALSE(full.cache_hit);
  EXPECT_EQ(again.events.size(), 2u);
  EXPECT_EQ(provider_.calls().size(), 3u);
}

TEST_F(RoutingGatewayTest, CachedAnswerIsTheLastFallback) {
  GatewayConfig c = base_config();
  c.retry.max_attempts = 1;
  c.deployments = {deployment("a")};
  ModelRoute m = model("chat", {"a"});
  m.cache = {.enabled = true, .ttl = seconds(60), .stale_ttl = seconds(3600)};
  c.models = {m};
  build(c);
  provider_.script("a", {ok(R"({"answer":"yesterday"})"), http(503), http(503)});
  ASSERT_TRUE(complete().ok());
  clock_.advance(seconds(120));  // past the TTL, within stale_ttl
  CallResult r = complete();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.cache_hit);
  EXPECT_TRUE(r.cached_fallback);
  EXPECT_EQ(r.response.body, R"({"answer":"yesterday"})");
  EXPECT_EQ(r.attempts, 1);
  EXPECT_NE(metrics().find(R"(anvil_gateway_cache_total{model="chat",result="fallback"} 1)"),
            std::string::npos);
  // Past stale_ttl the failure stands.
  clock_.advance(seconds(3600));
  r = complete();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->http_status, 503);
}

TEST_F(RoutingGatewayTest, WaitsPastTheDeadlineAreNotTaken) {
  build_with_backup();
  // Retry-After 3 s with 2 s left: "a" is not retried; "b" answers.
  provider_.script("a", {http(429, seconds(3))});
  provider_.script("b", {ok()});
  CallResult r = complete(chat_body(), context(seconds(2)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.deployment, "b");
  EXPECT_TRUE(sleeper_.delays.empty());
}

TEST_F(RoutingGatewayTest, DeadlinePassedStopsTheCall) {
  build_with_backup();
  Step slow = fail(FailureKind::kTimeout);
  slow.latency = seconds(5);  // the attempt itself used up the 2 s
  provider_.script("a", {slow});
  CallResult r = complete(chat_body(), context(seconds(2)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kTimeout);
  EXPECT_EQ(r.failure->message, "the request's deadline passed after 1 attempt");
  EXPECT_EQ(provider_.deployments_called(), (std::vector<std::string>{"a"}));
}

TEST_F(RoutingGatewayTest, CancelledStopsEverything) {
  build_with_backup();
  provider_.script("a", {fail(FailureKind::kCancelled)});
  CallResult r = complete();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->kind, FailureKind::kCancelled);
  EXPECT_EQ(provider_.deployments_called(), (std::vector<std::string>{"a"}));
}

TEST_F(RoutingGatewayTest, UnknownModelsAndProviders) {
  GatewayConfig c = base_config();
  c.deployments = {deployment("a")};
  c.models = {model("chat", {"a"}), model("embed", {"a"})};
  build(c);
  EXPECT_TRUE(gateway_->has_model("chat"));
  EXPECT_FALSE(gateway_->has_model("gpt-5"));
  ASSERT_EQ(gateway_->models().size(), 2u);
  EXPECT_EQ(gateway_->models()[1].id, "embed");
  CallResult r = complete("gpt-5");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure->http_status, 404);
  EXPECT_EQ(r.failure->message, "model 'gpt-5' does not exist (available: chat, embed)");

  GatewayConfig wrong = c;
  wrong.deployments[0].provider = "openai";
  auto created = RoutingGateway::create(wrong, {{"scripted", &provider_}}, {.metrics = nullptr});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().message(),
            "deployment 'a' uses provider 'openai', which is not available (available: scripted)");
}

}  // namespace
}  // namespace anvil::gateway
