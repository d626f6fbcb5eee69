// Routing one call: the logical model's deployments in weighted random order, each admitted by
// its circuit breaker, then the model's fallback models in order, switching to its
// context_window_fallbacks when the prompt does not fit.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "anvil/gateway/breaker_board.h"
#include "anvil/gateway/gateway_config.h"
#include "anvil/gateway/shared_random.h"

namespace anvil::gateway {

// Why the previous deployment was left, which decides the chain the next model comes from.
enum class LeaveReason { kFault, kContextOverflow };

struct RouteCandidate {
  const ModelRoute* model = nullptr;  // the logical model the deployment serves
  const Deployment* deployment = nullptr;
  CircuitBreaker* breaker = nullptr;  // never null
  Admission admission = Admission::kAllowed;  // kAllowed or kProbe: report it to the breaker
};

// The walk through the candidates of one call. Not thread-safe (one call, one coroutine).
class RoutePlan {
 public:
  // The next candidate, its breaker admission already taken; nullopt when none is left.
  // `reason` says why the previous candidate was left (ignored on the first call).
  std::optional<RouteCandidate> next(LeaveReason reason = LeaveReason::kFault);

  // Deployments passed over without an attempt, for the error message and the metrics.
  int refused_by_breaker() const { return refused_by_breaker_; }
  int too_small() const { return too_small_; }
  // The logical models entered so far, the requested one first.
  const std::vector<const ModelRoute*>& models_tried() const { return tried_; }

 private:
  friend class Router;
  RoutePlan(const class Router& router, const ModelRoute& model, std::int64_t tokens_needed);

  bool enter_next_model(LeaveReason reason);
  void enter(const ModelRoute& model);
  const Deployment* draw();

  const class Router& router_;
  const ModelRoute& requested_;
  std::int64_t tokens_needed_;
  std::vector<const ModelRoute*> tried_;
  std::size_t fault_cursor_ = 0;    // into requested_.fallbacks
  std::size_t context_cursor_ = 0;  // into requested_.context_window_fallbacks
  // Deployments of the current model not drawn yet, with their weights.
  std::vector<std::pair<const Deployment*, double>> remaining_;
  const Deployment* last_ = nullptr;  // the candidate handed out last
  LeaveReason last_reason_ = LeaveReason::kFault;
  bool all_too_small_ = true;  // every deployment of the current model was skipped as too small
  int refused_by_breaker_ = 0;
  int too_small_ = 0;
};

class Router {
 public:
  // `config` and `breakers` outlive the router; every deployment named by a model has a breaker.
  Router(const GatewayConfig& config, const BreakerBoard& breakers, std::uint64_t seed);

  // `tokens_needed`: the prompt's tokens plus the completion's max_tokens when known (0:
  // unknown); deployments whose context_window is known and smaller are skipped.
  RoutePlan plan(const ModelRoute& model, std::int64_t tokens_needed) const;

  // The route of a logical model; null when there is none.
  const ModelRoute* find(std::string_view model) const;

 private:
  friend class RoutePlan;
  const GatewayConfig& config_;
  const BreakerBoard& breakers_;
  std::map<std::string, const ModelRoute*, std::less<>> models_;
  mutable SharedRandom random_;
};

}  // namespace anvil::gateway
