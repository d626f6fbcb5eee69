// Authentication, per-key limits, the prompt-token limit and the usage ledger, through a real
// server, the fake gateway and real API keys / ledger in a temporary anvil.db.
#include <string>
#include <thread>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "anvil/gateway/monotonic_clock.h"
#include "anvil/server/usage_routes.h"
#include "server/test_server.h"
#include "testing/temp_dir.h"

namespace anvil::server {
namespace {

using testing::Client;
using testing::TestServer;

constexpr std::string_view kChat = "/v1/chat/completions";
constexpr std::string_view kAdminKey = "admin-secret-0123456789";
const std::string kBody = R"({"model":"test-model","messages":[{"role":"user","content":"hi"}]})";

std::string bearer(std::string_view key) { return fmt::format("Authorization: Bearer {}\r\n", key); }

boost::json::object json_of(const testing::Response& r) { return boost::json::parse(r.body).as_object(); }

std::string error_code(const testing::Response& r) {
  const boost::json::object body = json_of(r);
  const auto& code = body.at("error").at("code");
  return code.is_string() ? std::string(code.as_string()) : "";
}

// The server with every access service over one temporary anvil.db.
class AccessTest : public ::testing::Test {
 protected:
  void start(std::string admin_key = std::string(kAdminKey)) {
    auto keys = gateway::ApiKeys::open({.database = db(), .admin_key = admin_key,
                                        .poll_interval = std::chrono::milliseconds(0),
                                        .metrics = &metrics_});
    ASSERT_TRUE(keys.ok()) << keys.status().to_string();
    keys_ = std::move(keys).value();
    auto ledger = gateway::UsageLedger::open({.database = db(), .metrics = &metrics_});
    ASSERT_TRUE(ledger.ok()) << ledger.status().to_string();
    ledger_ = std::move(ledger).value();
    limiter_ = std::make_unique<gateway::RateLimiter>(clock_, ledger_.get());
    auth_ = std::make_unique<Authenticator>(keys_.get(), !admin_key.empty());
    reports_ = std::make_unique<UsageReports>(db());
    OpenAiRouteOptions routes;
    routes.auth = auth_.get();
    routes.limiter = limiter_.get();
    routes.ledger = ledger_.get();
    server_ = std::make_unique<TestServer>(testing::test_options(), routes, [this](Router& r) {
      add_usage_routes(r, *reports_, auth_.get());
    });
  }

  // A key made the way `anvil keys create` makes it, seen by the running server at once.
  std::string create_key(const std::string& name, store::ApiKeyLimits limits = {}) {
    auto keys = store::KeyStore::open(db());
    EXPECT_TRUE(keys.ok());
    auto issued = gateway::issue_api_key(*keys, name, "acme", limits);
    EXPECT_TRUE(issued.ok()) << issued.status().to_string();
    EXPECT_TRUE(keys_->refresh().ok());
    return issued.ok() ? issued->secret : "";
  }

  // The server records a request after its last byte went out, so a client can see the answer
  // before the record is queued: wait until `n` records were, then until they are written.
  void flush_ledger(std::uint64_t n) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (ledger_->stats().recorded < n) {
      ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "the server recorded fewer than " << n;
      std::this_thread::yield();
    }
    ASSERT_TRUE(ledger_->flush().ok());
  }

  std::filesystem::path db() const { return dir_ / "anvil.db"; }

  anvil::testing::TempDir dir_;
  core::MetricsRegistry metrics_;
  gateway::ManualClock clock_;
  std::unique_ptr<gateway::ApiKeys> keys_;
  std::unique_ptr<gateway::UsageLedger> ledger_;
  std::unique_ptr<gateway::RateLimiter> limiter_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<UsageReports> reports_;
  std::unique_ptr<TestServer> server_;  // last: stopped before what it uses
};

TEST_F(AccessTest, RequestsWithoutAKnownKeyAre401) {
  start();
  Client c(server_->server->port());
  auto r = c.post(kChat, kBody);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->header("www-authenticate"), "Bearer");
  EXPECT_EQ(error_code(*r), "invalid_api_key");
  EXPECT_NE(r->body.find("missing API key"), std::string::npos) << r->body;

  r = c.post(kChat, kBody, bearer("ak-not-a-real-key-at-all-0000000000000000"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->body.find("ak-not-a-real"), std::string::npos) << "the token must not be echoed";

  r = c.post(kChat, kBody, bearer(kAdminKey));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  std::lock_guard lock(server_->gateway.mu);
  EXPECT_EQ(server_->gateway.calls, 1);  // refused requests never reached the gateway
}

TEST_F(AccessTest, WithNoAdminKeyAndNoKeysAuthenticationIsOffUntilAKeyExists) {
  start(/*admin_key=*/"");
  Client c(server_->server->port());
  auto r = c.post(kChat, kBody);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;

  std::string key = create_key("first");
  r = c.post(kChat, kBody);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = c.post(kChat, kBody, bearer(key));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(AccessTest, RevokedKeyIs401NamingTheRevocation) {
  start();
  std::string key = create_key("gone");
  auto keys = store::KeyStore::open(db());
  ASSERT_TRUE(keys.ok());
  ASSERT_TRUE(keys->revoke("gone").ok());
  ASSERT_TRUE(keys_->refresh().ok());
  Client c(server_->server->port());
  auto r = c.post(kChat, kBody, bearer(key));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->body.find("was revoked"), std::string::npos) << r->body;
}

TEST_F(AccessTest, RequestsPerMinuteOverTheKeysLimitAre429WithRetryAfter) {
  start();
  std::string key = create_key("small", {.requests_per_minute = 2});
  Client c(server_->server->port());
  for (int i = 0; i < 2; ++i) {
    auto r = c.post(kChat, kBody, bearer(key));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
  }
  auto r = c.post(kChat, kBody, bearer(key));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(error_code(*r), "rate_limit_exceeded");
  EXPECT_FALSE(r->header("retry-after").empty());
  EXPECT_NE(r->body.find("its limit is 2 per minute (rpm)"), std::string::npos) << r->body;

  // The admin key has no limits; a minute later the key may call again.
  r = c.post(kChat, kBody, bearer(kAdminKey));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  clock_.advance(std::chrono::minutes(2));
  r = c.post(kChat, kBody, bearer(key));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(AccessTest, ASpentBudgetIs429InsufficientQuotaWithoutRetryAfter) {
  start();
  server_->gateway.cost_usd = 0.004;
  std::string key = create_key("thrifty", {.budget_usd = 0.01});
  Client c(server_->server->port());
  for (int i = 0; i < 3; ++i) {  // 0.004, 0.008, 0.012: the third call is admitted below budget
    auto r = c.post(kChat, kBody, bearer(key));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
  }
  auto r = c.post(kChat, kBody, bearer(key));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(error_code(*r), "insufficient_quota");
  EXPECT_TRUE(r->header("retry-after").empty());
}

TEST_F(AccessTest, PromptOverTheModelsLimitIs400NamingLimitAndCount) {
  start();
  server_->gateway.prompt_limit = 1000;
  server_->gateway.prompt_count = {.total = 1523, .largest = 1523, .counted_with = "qwen-local"};
  Client c(server_->server->port());
  auto r = c.post(kChat, kBody, bearer(kAdminKey));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  boost::json::object error = json_of(*r).at("error").as_object();
  EXPECT_EQ(error.at("code").as_string(), "prompt_too_long");
  EXPECT_EQ(error.at("param").as_string(), "messages");
  EXPECT_EQ(error.at("message").as_string(),
            "The prompt (messages) has 1523 tokens, over the limit of 1000 prompt tokens of model "
            "'test-model' (counted with the tokenizer of deployment 'qwen-local'); Anvil never "
            "truncates a prompt");

  // Embeddings: the limit is per input, and the error names the input.
  server_->gateway.prompt_count = {.total = 1800, .largest = 1200, .largest_index = 3, .exact = false};
  r = c.post("/v1/embeddings", R"({"model":"test-model","input":["a","b","c","d"]})", bearer(kAdminKey));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  error = json_of(*r).at("error").as_object();
  EXPECT_EQ(error.at("param").as_string(), "input[3]");
  EXPECT_NE(error.at("message").as_string().find("estimated"), std::string::npos);

  server_->gateway.prompt_count = {.total = 1000, .largest = 1000};
  r = c.post(kChat, kBody, bearer(kAdminKey));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << "a prompt at the limit passes";

  // A key's own limit applies when it is lower than the model's.
  std::string key = create_key("terse", {.max_prompt_tokens = 600});
  r = c.post(kChat, kBody, bearer(key));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("over the limit of 600 prompt tokens of API key 'terse'"), std::string::npos) << r->body;
  std::lock_guard lock(server_->gateway.mu);
  EXPECT_EQ(server_->gateway.calls, 1);
}

TEST_F(AccessTest, EveryAuthenticatedRequestIsInTheLedgerOnceWithItsOutcome) {
  start();
  server_->gateway.cost_usd = 0.5;
  // Only requests that pass validation count against the rpm: the 404 does not.
  std::string key = create_key("app", {.requests_per_minute = 2});
  Client c(server_->server->port());
  const std::string auth = bearer(key);
  auto ok = c.post(kChat, R"({"model":"test-model","messages":[{"role":"user","content":"hi"}],"metadata":{"team":"search"}})",
                   auth + "X-Anvil-Tags: env=prod\r\nX-Request-Id: req-ok\r\n");
  auto streamed = c.post(kChat, R"({"model":"test-model","stream":true,"messages":[{"role":"user","content":"hi"}]})",
                         auth + "X-Request-Id: req-stream\r\n");
  auto unknown = c.post(kChat, R"({"model":"nope","messages":[{"role":"user","content":"hi"}]})",
                        auth + "X-Request-Id: req-404\r\n");
  auto limited = c.post(kChat, kBody, auth + "X-Request-Id: req-429\r\n");
  auto anonymous = c.post(kChat, kBody);  // 401: not in the ledger
  ASSERT_TRUE(ok && streamed && unknown && limited && anonymous);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(streamed->status, 200);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(anonymous->status, 401);

  flush_ledger(4);
  auto usage = store::UsageStore::open(db());
  ASSERT_TRUE(usage.ok());
  auto count = usage->count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 4);
  auto by_key = usage->report({.group_by = store::UsageGroupBy::kKey});
  ASSERT_TRUE(by_key.ok());
  ASSERT_EQ(by_key->size(), 1u);
  EXPECT_EQ((*by_key)[0].requests, 4);
  EXPECT_EQ((*by_key)[0].errors, 2);                 // the 404 and the 429
  EXPECT_DOUBLE_EQ((*by_key)[0].cost_usd, 1.0);      // streamed and not: the same price
  EXPECT_EQ((*by_key)[0].prompt_tokens, 14);
  auto tags = usage->tags_of("req-ok");
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(*tags, (std::vector<std::string>{"env=prod", "team=search"}));
}

TEST_F(AccessTest, UsageReportIsForTheAdminKey) {
  start();
  server_->gateway.cost_usd = 0.25;
  std::string key = create_key("reader");
  Client c(server_->server->port());
  ASSERT_EQ(c.post(kChat, kBody, bearer(key))->status, 200);
  ASSERT_EQ(c.post(kChat, kBody, bearer(kAdminKey))->status, 200);
  flush_ledger(2);

  auto r = c.get("/v1/usage?group_by=key", bearer(key));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(error_code(*r), "admin_key_required");

  r = c.get("/v1/usage?group_by=key", bearer(kAdminKey));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto report = json_of(*r);
  EXPECT_EQ(report.at("group_by").as_string(), "key");
  EXPECT_EQ(report.at("data").as_array().size(), 2u);  // the admin key ("") and "reader"
  EXPECT_EQ(report.at("total").at("requests").as_int64(), 2);
  EXPECT_DOUBLE_EQ(report.at("total").at("cost_usd").as_double(), 0.5);

  r = c.get("/v1/usage?group_by=colour", bearer(kAdminKey));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = c.get("/v1/usage?form=2024-01-01", bearer(kAdminKey));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("unknown query parameter 'form'"), std::string::npos) << r->body;
}

}  // namespace
}  // namespace anvil::server
