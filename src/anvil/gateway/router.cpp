#include "anvil/gateway/router.h"

#include <algorithm>

namespace anvil::gateway {

Router::Router(const GatewayConfig& config, const BreakerBoard& breakers, std::uint64_t seed)
    : config_(config), breakers_(breakers), random_(seed) {
  for (const ModelRoute& m : config_.models) models_.emplace(m.name, &m);
}

const ModelRoute* Router::find(std::string_view model) const {
  auto it = models_.find(model);
  return it == models_.end() ? nullptr : it->second;
}

RoutePlan Router::plan(const ModelRoute& model, std::int64_t tokens_needed) const {
  return RoutePlan(*this, model, tokens_needed);
}

RoutePlan::RoutePlan(const Router& router, const ModelRoute& model, std::int64_t tokens_needed)
    : router_(router), requested_(model), tokens_needed_(tokens_needed) {
  enter(model);
}

void RoutePlan::enter(const ModelRoute& model) {
  tried_.push_back(&model);
  remaining_.clear();
  for (const std::string& name : model.deployments) {
    const Deployment* d = router_.config_.find_deployment(name);
    if (d != nullptr) remaining_.emplace_back(d, std::max(d->weight, 0.0));
  }
  // Cleared by the first deployment that fits; a model without deployments is a fault.
  all_too_small_ = !remaining_.empty();
}

const Deployment* RoutePlan::draw() {
  while (!remaining_.empty()) {
    double total = 0;
    for (const auto& [d, w] : remaining_) total += w;
    std::size_t pick = 0;  // weight 0 everywhere left: standbys, in configuration order
    if (total > 0) {
      double r = router_.random_.uniform() * total;
      pick = remaining_.size() - 1;
      for (std::size_t i = 0; i < remaining_.size(); ++i) {
        if (remaining_[i].second <= 0) continue;
        if (r < remaining_[i].second) {
          pick = i;
          break;
        }
        r -= remaining_[i].second;
      }
      // Rounding can leave r just past the last weight; never land on a standby then.
      while (remaining_[pick].second <= 0) --pick;
    }
    const Deployment* d = remaining_[pick].first;
    remaining_.erase(remaining_.begin() + static_cast<std::ptrdiff_t>(pick));
    if (tokens_needed_ > 0 && d->context_window > 0 && d->context_window < tokens_needed_) {
      ++too_small_;
      continue;
    }
    all_too_small_ = false;
    return d;
  }
  return nullptr;
}

bool RoutePlan::enter_next_model(LeaveReason reason) {
  const bool overflow = reason == LeaveReason::kContextOverflow;
  const std::vector<std::string>& chain =
      overflow ? requested_.context_window_fallbacks : requested_.fallbacks;
  std::size_t& cursor = overflow ? context_cursor_ : fault_cursor_;
  while (cursor < chain.size()) {
    const ModelRoute* m = router_.find(chain[cursor++]);
    if (m == nullptr || std::find(tried_.begin(), tried_.end(), m) != tried_.end()) continue;
    enter(*m);
    return true;
  }
  return false;
}

std::optional<RouteCandidate> RoutePlan::next(LeaveReason reason) {
  if (last_ != nullptr) {
    last_reason_ = reason;
    if (reason == LeaveReason::kContextOverflow) {
      // The same prompt fits only where the window is known to be larger than where it failed.
      const std::int64_t failed = last_->context_window;
      std::erase_if(remaining_, [&](const auto& entry) {
        return failed <= 0 || entry.first->context_window <= failed;
      });
    }
  }
  for (;;) {
    const Deployment* d = draw();
    if (d == nullptr) {
      const LeaveReason why = all_too_small_ ? LeaveReason::kContextOverflow : last_reason_;
      if (!enter_next_model(why)) return std::nullopt;
      continue;
    }
    CircuitBreaker* breaker = router_.breakers_.find(d->name);
    if (breaker == nullptr) continue;  // the gateway builds a breaker for every deployment
    const Admission admission = breaker->admit();
    if (admission == Admission::kRefused) {
      ++refused_by_breaker_;
      continue;
    }
    last_ = d;
    return RouteCandidate{tried_.back(), d, breaker, admission};
  }
}

}  // namespace anvil::gateway
