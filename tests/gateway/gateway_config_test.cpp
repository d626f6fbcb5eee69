#include "anvil/gateway/gateway_config.h"

#include <gtest/gtest.h>

#include "anvil/core/redactor.h"

namespace anvil::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view kFull = R"(
data_dir = "/var/lib/anvil"   # other tables are not the gateway's business

[gateway]
request_timeout_s = 120
max_prompt_tokens = 2000

[gateway.retry]
max_attempts = 4
base_delay_ms = 100
max_delay_ms = 2000

[gateway.breaker]
window_s = 30
buckets = 6
min_requests = 10
error_rate = 0.5
consecutive_failures = 0
cooldown_s = 10

[gateway.cache]
max_entries = 500
max_bytes = 1048576
shards = 4

[gateway.local]
threads = 2
n_ctx = 2048
max_sequences = 4
encoder_batch_tokens = 4096

[[gateway.deployments]]
name = "gpt-a"
provider = "openai"
model = "gpt-4o-mini"
base_url = "http://127.0.0.1:9001/v1"
api_key_secret = "UPSTREAM_A_KEY"
price_prompt = 0.15
price_completion = 0.6
price_cached = 0.075
weight = 3
context_window = 128000
tokenizer = "/models/gpt-vocab.gguf"
connect_timeout_ms = 1000
first_byte_timeout_ms = 20000
idle_timeout_ms = 30000

[[gateway.deployments]]
name = "local-qwen"
provider = "local"
model = "/models/qwen.gguf"

[[gateway.models]]
name = "chat"
deployments = ["gpt-a", "local-qwen"]
fallbacks = ["small"]
context_window_fallbacks = ["small"]
max_prompt_tokens = 8000
cache = { ttl_s = 60, stale_s = 600 }

[[gateway.models]]
name = "small"
deployments = ["local-qwen"]
)";

core::SecretStore secrets(core::Environment env) {
  core::SecretStoreOptions options;
  options.environment = std::move(env);
  options.secrets_dir.clear();
  options.redactor = nullptr;
  auto store = core::SecretStore::open(options);
  EXPECT_TRUE(store.ok());
  return std::move(store).value();
}

TEST(GatewayConfigTest, ReadsEveryKey) {
  core::SecretStore store = secrets({{"UPSTREAM_A_KEY", "sk-test-123456"}});
  auto parsed = parse_gateway_config(kFull, "anvil.toml", &store);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const GatewayConfig& c = *parsed;
  EXPECT_EQ(c.request_timeout, seconds(120));
  EXPECT_EQ(c.retry.max_attempts, 4);
  EXPECT_EQ(c.retry.base_delay, milliseconds(100));
  EXPECT_EQ(c.retry.max_delay, milliseconds(2000));
  EXPECT_EQ(c.breaker.window, seconds(30));
  EXPECT_EQ(c.breaker.buckets, 6);
  EXPECT_EQ(c.breaker.min_requests, 10);
  EXPECT_DOUBLE_EQ(c.breaker.error_rate, 0.5);
  EXPECT_EQ(c.breaker.consecutive_failures, 0);
  EXPECT_EQ(c.breaker.cooldown, seconds(10));
  EXPECT_EQ(c.cache.max_entries, 500);
  EXPECT_EQ(c.cache.max_bytes, 1048576);
  EXPECT_EQ(c.cache.shards, 4);
  EXPECT_EQ(c.local.threads, 2);
  EXPECT_EQ(c.local.n_ctx, 2048);
  EXPECT_EQ(c.local.max_sequences, 4);
  EXPECT_EQ(c.local.n_batch, 512);  // the default
  EXPECT_EQ(c.local.encoder_batch_tokens, 4096);

  ASSERT_EQ(c.deployments.size(), 2u);
  const Deployment& a = c.deployments[0];
  EXPECT_EQ(a.name, "gpt-a");
  EXPECT_EQ(a.provider, "openai");
  EXPECT_EQ(a.model, "gpt-4o-mini");
  EXPECT_EQ(a.base_url, "http://127.0.0.1:9001/v1");
  EXPECT_EQ(a.api_key_secret, "UPSTREAM_A_KEY");
  EXPECT_EQ(a.api_key, "sk-test-123456");
  EXPECT_DOUBLE_EQ(a.price.prompt_per_million, 0.15);
  EXPECT_DOUBLE_EQ(a.price.completion_per_million, 0.6);
  EXPECT_DOUBLE_EQ(a.price.cached_per_million, 0.075);
  EXPECT_DOUBLE_EQ(a.weight, 3);
  EXPECT_EQ(a.context_window, 128000);
  EXPECT_EQ(a.tokenizer, "/models/gpt-vocab.gguf");
  EXPECT_EQ(a.connect_timeout, milliseconds(1000));
  EXPECT_EQ(a.first_byte_timeout, milliseconds(20000));
  EXPECT_EQ(a.idle_timeout, milliseconds(30000));
  const Deployment& local = c.deployments[1];
  EXPECT_EQ(local.api_key, "");
  EXPECT_DOUBLE_EQ(local.weight, 1);
  EXPECT_EQ(local.connect_timeout, milliseconds(5000));  // the defaults

  ASSERT_EQ(c.models.size(), 2u);
  const ModelRoute& chat = c.models[0];
  EXPECT_EQ(chat.deployments, (std::vector<std::string>{"gpt-a", "local-qwen"}));
  EXPECT_EQ(chat.fallbacks, (std::vector<std::string>{"small"}));
  EXPECT_EQ(chat.context_window_fallbacks, (std::vector<std::string>{"small"}));
  EXPECT_TRUE(chat.cache.enabled);
  EXPECT_EQ(chat.cache.ttl, seconds(60));
  EXPECT_EQ(chat.cache.stale_ttl, seconds(600));
  EXPECT_FALSE(c.models[1].cache.enabled);
  EXPECT_EQ(c.max_prompt_tokens, 2000);
  EXPECT_EQ(chat.max_prompt_tokens, 8000);
  EXPECT_FALSE(c.models[1].max_prompt_tokens.has_value());  // the [gateway] limit applies
  EXPECT_EQ(c.find_model("small"), &c.models[1]);
  EXPECT_EQ(c.find_deployment("nope"), nullptr);
}

TEST(GatewayConfigTest, LocalSettingsAndPromptLimitsAreChecked) {
  auto parsed = parse_gateway_config(R"([gateway]
max_prompt_tokens = -1

[gateway.local]
n_ctx = 0
threds = 2
)",
                                     "anvil.toml", nullptr);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(),
            "anvil.toml:2: [gateway]: expected 'max_prompt_tokens' between 0 and 1000000000, found integer -1\n"
            "anvil.toml:5: [gateway.local]: expected 'n_ctx' between 16 and 16777216, found integer 0\n"
            "anvil.toml:6: unknown key 'threds' in [gateway.local] (known keys: threads, max_sequences, n_ctx, "
            "n_batch, max_waiting, encoder_max_batch, encoder_batch_tokens)");
}

TEST(GatewayConfigTest, NoGatewayTableIsAnEmptyConfig) {
  auto parsed = parse_gateway_config("data_dir = \"x\"\n", "anvil.toml", nullptr);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->models.empty());
  EXPECT_EQ(parsed->retry.max_attempts, 3);
  EXPECT_EQ(parsed->breaker.cooldown, seconds(30));
  EXPECT_EQ(parsed->max_prompt_tokens, 1000);
}

TEST(GatewayConfigTest, CachedPriceDefaultsToThePromptPrice) {
  auto parsed = parse_gateway_config(R"(
[[gateway.deployments]]
name = "a"
provider = "local"
model = "m"
price_prompt = 3
)", "anvil.toml", nullptr);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_DOUBLE_EQ(parsed->deployments[0].price.cached_per_million, 3);
}

// Every error of a file at once, in line order, each with file:line and expected/found.
TEST(GatewayConfigTest, ErrorsGolden) {
  auto parsed = parse_gateway_config(R"([gateway.retry]
max_attempts = "three"

[[gateway.deployments]]
name = "a"
provider = "openai"
model = "m"
wieght = 2

[[gateway.deployments]]
name = "a"
provider = "local"
model = "m"
api_key = "sk-oops"
price_prompt = -1

[[gateway.models]]
name = "chat"
deployments = ["a",
               "x"]
fallbacks = ["chat", "nope"]
cache = { ttl_s = 0 }
)", "anvil.toml", nullptr);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(),
            "anvil.toml:2: [gateway.retry]: expected an integer for 'max_attempts', found string \"three\"\n"
            "anvil.toml:4: deployment 'a': expected a string 'base_url', found none\n"
            "anvil.toml:8: unknown key 'wieght' in [[gateway.deployments]] (known keys: name, "
            "provider, model, base_url, api_key_secret, price_prompt, price_completion, "
            "price_cached, weight, context_window, tokenizer, connect_timeout_ms, first_byte_timeout_ms, "
            "idle_timeout_ms)\n"
            "anvil.toml:10: deployment 'a' is defined twice (first at line 4)\n"
            "anvil.toml:14: [[gateway.deployments]]: secrets never live in anvil.toml; name the "
            "secret that holds the key with api_key_secret (see docs/GATEWAY.md)\n"
            "anvil.toml:15: deployment 'a': expected 'price_prompt' between 0 and 1000000, found "
            "integer -1\n"
            "anvil.toml:20: deployment 'x' in model 'chat' is not defined (defined: a)\n"
            "anvil.toml:21: model 'chat' lists itself in fallbacks\n"
            "anvil.toml:21: model 'nope' in the fallbacks of model 'chat' is not defined (defined: chat)\n"
            "anvil.toml:22: model 'chat' cache: expected 'ttl_s' between 1 and 31536000, found integer 0");
}

TEST(GatewayConfigTest, MissingSecretNamesTheDeployment) {
  core::SecretStore store = secrets({});
  auto parsed = parse_gateway_config(R"(
[[gateway.deployments]]
name = "a"
provider = "openai"
model = "m"
base_url = "http://127.0.0.1:1/v1"
api_key_secret = "NOT_SET_ANYWHERE"
)", "anvil.toml", &store);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message().rfind("anvil.toml:2: deployment 'a': api_key_secret: ", 0), 0u)
      << parsed.status().message();
  EXPECT_NE(parsed.status().message().find("NOT_SET_ANYWHERE"), std::string::npos);
}

TEST(GatewayConfigTest, InvalidTomlHasLineAndColumn) {
  auto parsed = parse_gateway_config("[gateway\n", "anvil.toml", nullptr);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message().rfind("anvil.toml:1:", 0), 0u) << parsed.status().message();
}

}  // namespace
}  // namespace anvil::gateway
