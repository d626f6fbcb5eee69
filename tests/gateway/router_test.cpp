#include "anvil/gateway/router.h"

#include <gtest/gtest.h>

#include <map>

#include "gateway/route_fixtures.h"

namespace anvil::gateway {
namespace {

using testing::deployment;
using testing::model;

std::vector<std::string> names(const GatewayConfig& config) {
  std::vector<std::string> out;
  for (const Deployment& d : config.deployments) out.push_back(d.name);
  return out;
}

// A router over `config` with fresh breakers (kept alive by the fixture).
class RouterTest : public ::testing::Test {
 protected:
  void build(GatewayConfig config) {
    config_ = std::move(config);
    breakers_ = std::make_unique<BreakerBoard>(names(config_), config_.breaker, clock_, nullptr);
    router_ = std::make_unique<Router>(config_, *breakers_, 1234);
  }
  // Every deployment the plan hands out, leaving each for `reason`.
  std::vector<std::string> walk(std::string_view model_name, std::int64_t tokens = 0,
                                LeaveReason reason = LeaveReason::kFault) {
    RoutePlan plan = router_->plan(*router_->find(model_name), tokens);
    std::vector<std::string> out;
    while (auto c = plan.next(reason)) {
      out.push_back(c->deployment->name);
      c->breaker->record(c->admission, BreakerOutcome::kIgnored);
    }
    return out;
  }
  void open_breaker(std::string_view name) {
    CircuitBreaker* b = breakers_->find(name);
    for (int i = 0; i < config_.breaker.consecutive_failures; ++i) {
      b->record(b->admit(), BreakerOutcome::kFailure);
    }
    ASSERT_EQ(b->state(), BreakerState::kOpen);
  }

  ManualClock clock_;
  GatewayConfig config_;
  std::unique_ptr<BreakerBoard> breakers_;
  std::unique_ptr<Router> router_;
};

TEST_F(RouterTest, WeightsShareTheFirstPick) {
  GatewayConfig c;
  c.deployments = {deployment("a", 3), deployment("b", 1)};
  c.models = {model("chat", {"a", "b"})};
  build(c);
  std::map<std::string, int> first;
  for (int i = 0; i < 40000; ++i) ++first[walk("chat").front()];
  EXPECT_NEAR(first["a"] / 40000.0, 0.75, 0.01);
  EXPECT_NEAR(first["b"] / 40000.0, 0.25, 0.01);
}

TEST_F(RouterTest, EveryDeploymentOnceThenFallbacksInOrder) {
  GatewayConfig c;
  c.deployments = {deployment("a"), deployment("b"), deployment("c"), deployment("d"),
                   deployment("e")};
  c.models = {model("chat", {"a", "b"}, {"small", "tiny", "chat"}), model("small", {"c"}, {"big"}),
              model("tiny", {"d"}), model("big", {"e"})};
  build(c);
  std::vector<std::string> order = walk("chat");
  ASSERT_EQ(order.size(), 4u);  // not "e": fallbacks are the requested model's, not recursive
  EXPECT_TRUE((order[0] == "a" && order[1] == "b") || (order[0] == "b" && order[1] == "a"));
  EXPECT_EQ(order[2], "c");
  EXPECT_EQ(order[3], "d");
}

TEST_F(RouterTest, OpenBreakersAreSkipped) {
  GatewayConfig c;
  c.deployments = {deployment("a"), deployment("b"), deployment("c")};
  c.models = {model("chat", {"a", "b"}, {"backup"}), model("backup", {"c"})};
  build(c);
  open_breaker("a");
  RoutePlan plan = router_->plan(*router_->find("chat"), 0);
  std::vector<std::string> order;
  while (auto candidate = plan.next()) {
    order.push_back(candidate->deployment->name);
    candidate->breaker->record(candidate->admission, BreakerOutcome::kSuccess);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(plan.refused_by_breaker(), 1);
}

TEST_F(RouterTest, HalfOpenDeploymentIsHandedOutAsAProbe) {
  GatewayConfig c;
  c.deployments = {deployment("a")};
  c.models = {model("chat", {"a"})};
  build(c);
  open_breaker("a");
  clock_.advance(config_.breaker.cooldown);
  RoutePlan first = router_->plan(*router_->find("chat"), 0);
  auto probe = first.next();
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(probe->admission, Admission::kProbe);
  RoutePlan second = router_->plan(*router_->find("chat"), 0);
  EXPECT_FALSE(second.next().has_value());  // the probe is in flight
  EXPECT_EQ(second.refused_by_breaker(), 1);
}

TEST_F(RouterTest, TooSmallWindowsAreSkippedAndLeadToContextFallbacks) {
  GatewayConfig c;
  c.deployments = {deployment("small", 1, 4096), deployment("unknown", 0, 0),
                   deployment("long", 1, 128000), deployment("other", 1, 0)};
  c.models = {model("chat", {"small"}, {"fallback"}, {"chat-long"}),
              model("chat-long", {"long"}), model("fallback", {"other"})};
  build(c);
  // Too small everywhere: the context chain; when "long" then fails, the fault chain.
  EXPECT_EQ(walk("chat", 5000), (std::vector<std::string>{"long", "other"}));
  // A prompt that fits goes to the model itself, then to its fault chain.
  EXPECT_EQ(walk("chat", 1000), (std::vector<std::string>{"small", "other"}));
}

TEST_F(RouterTest, OverflowSwitchesToTheContextChain) {
  GatewayConfig c;
  c.deployments = {deployment("a", 1, 8192), deployment("b", 1, 8192), deployment("big", 1, 0),
                   deployment("other", 1, 0)};
  c.models = {model("chat", {"a", "b"}, {"fallback"}, {"chat-long"}),
              model("chat-long", {"big"}), model("fallback", {"other"})};
  build(c);
  // "a" or "b" overflows: the other has no larger window, so the plan goes to chat-long.
  std::vector<std::string> order = walk("chat", 0, LeaveReason::kContextOverflow);
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[1], "big");
}

TEST_F(RouterTest, OverflowKeepsDeploymentsWithLargerWindows) {
  GatewayConfig c;
  c.deployments = {deployment("short", 1, 4096), deployment("long", 1, 32768)};
  c.models = {model("chat", {"short", "long"})};
  build(c);
  for (int i = 0; i < 50; ++i) {
    std::vector<std::string> order = walk("chat", 0, LeaveReason::kContextOverflow);
    // short first -> long still tried; long first -> short is not.
    EXPECT_EQ(order.back(), "long") << i;
    if (order.front() == "long") {
      EXPECT_EQ(order.size(), 1u);
    }
  }
}

TEST_F(RouterTest, ZeroWeightDeploymentsAreStandbys) {
  GatewayConfig c;
  c.deployments = {deployment("standby1", 0), deployment("main", 5), deployment("standby2", 0)};
  c.models = {model("chat", {"standby1", "main", "standby2"})};
  build(c);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(walk("chat"), (std::vector<std::string>{"main", "standby1", "standby2"}));
  }
}

TEST_F(RouterTest, UnknownModelIsNull) {
  GatewayConfig c;
  c.deployments = {deployment("a")};
  c.models = {model("chat", {"a"})};
  build(c);
  EXPECT_EQ(router_->find("nope"), nullptr);
  EXPECT_NE(router_->find("chat"), nullptr);
}

}  // namespace
}  // namespace anvil::gateway
