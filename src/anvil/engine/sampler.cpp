#include "anvil/engine/sampler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace anvil::engine {

namespace {

core::Status check_range(const char* name, float v, float lo, float hi) {
  if (std::isfinite(v) && v >= lo && v <= hi) return core::Status::ok_status();
  return core::Status::invalid_argument(fmt::format("{} must be in [{}, {}], got {}", name, lo, hi, v));
}

core::Status check_finite(const char* name, float v) {
  if (std::isfinite(v)) return core::Status::ok_status();
  return core::Status::invalid_argument(fmt::format("{} must be a finite number, got {}", name, v));
}

}  // namespace

core::Result<Sampler> Sampler::create(const SamplerParams& params) {
  ANVIL_RETURN_IF_ERROR(check_finite("temperature", params.temperature));
  ANVIL_RETURN_IF_ERROR(check_range("top_p", params.top_p, 0.0f, 1.0f));
  ANVIL_RETURN_IF_ERROR(check_range("min_p", params.min_p, 0.0f, 1.0f));
  ANVIL_RETURN_IF_ERROR(check_finite("repeat_penalty", params.repeat_penalty));
  if (params.repeat_penalty <= 0.0f) {
    return core::Status::invalid_argument(fmt::format("repeat_penalty must be > 0, got {}", params.repeat_penalty));
  }
  if (params.repeat_last_n < -1) {
    return core::Status::invalid_argument(
        fmt::format("repeat_last_n must be >= -1 (-1: all tokens, 0: off), got {}", params.repeat_last_n));
  }
  ANVIL_RETURN_IF_ERROR(check_finite("frequency_penalty", params.frequency_penalty));
  ANVIL_RETURN_IF_ERROR(check_finite("presence_penalty", params.presence_penalty));
  uint64_t seed = 0;
  if (params.seed) {
    seed = *params.seed;
  } else {
    std::random_device rd;
    seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }
  return Sampler(params, seed);
}

Sampler::Sampler(const SamplerParams& params, uint64_t seed) : params_(params), seed_(seed), rng_(seed) {}

void Sampler::reset() {
  rng_.seed(seed_);
  window_.clear();
  counts_.clear();
}

void Sampler::accept(int32_t token) {
  if (params_.repeat_last_n == 0) return;
  window_.push_back(token);
  ++counts_[token];
  if (params_.repeat_last_n > 0 && window_.size() > static_cast<size_t>(params_.repeat_last_n)) {
    const int32_t old = window_.front();
    window_.pop_front();
    if (--counts_[old] == 0) counts_.erase(old);
  }
}

double Sampler::next_uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

core::Status Sampler::penalize(std::span<const float> logits) {
  if (logits.empty()) return core::Status::invalid_argument("no logits to sample from");
  work_.assign(logits.begin(), logits.end());
  const bool active = params_.repeat_penalty != 1.0f || params_.frequency_penalty != 0.0f || params_.presence_penalty != 0.0f;
  if (active) {
    for (const auto& [token, count] : counts_) {
      if (token < 0 || static_cast<size_t>(token) >= work_.size()) continue;  // from another vocabulary
      float& l = work_[static_cast<size_t>(token)];
      l = l <= 0.0f ? l * params_.repeat_penalty : l / params_.repeat_penalty;
      l -= static_cast<float>(count) * params_.frequency_penalty + params_.presence_penalty;
    }
  }
  // The argmax (lowest id among equals) and the NaN check in one pass.
  float best = -INFINITY;
  size_t best_id = 0;
  bool nan = false;
  for (size_t i = 0; i < work_.size(); ++i) {
    const float x = work_[i];
    nan |= x != x;
    if (x > best) {
      best = x;
      best_id = i;
    }
  }
  if (nan) {
    for (size_t i = 0; i < work_.size(); ++i) {
      if (std::isnan(work_[i])) return core::Status::invalid_argument(fmt::format("the logit of token {} is NaN", i));
    }
  }
  if (best == -INFINITY) return core::Status::invalid_argument("no token has a finite logit");
  argmax_ = static_cast<int32_t>(best_id);
  return core::Status::ok_status();
}

core::Result<std::vector<Sampler::Candidate>> Sampler::candidates() {
  const size_t n = work_.size();
  const float* l = work_.data();
  // Most likely first; equal logits: lower id first, so the order never depends on the sort.
  auto before = [l](int32_t a, int32_t b) { return l[a] > l[b] || (l[a] == l[b] && a < b); };
  if (params_.temperature <= 0.0f) return std::vector<Candidate>{{argmax_, 1.0}};
  const double max_logit = l[argmax_];

  // top-k: the k best, sorted. A small k is one pass with a heap of k (ids arrive in increasing
  // order, so a later token enters only with a strictly higher logit than the heap's worst).
  size_t pool = n;
  size_t sorted = 0;  // order_[0, sorted) is in final order
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n) {
    pool = static_cast<size_t>(params_.top_k);
    order_.resize(pool);
    std::iota(order_.begin(), order_.end(), 0);
    if (pool <= 4096) {
      std::make_heap(order_.begin(), order_.end(), before);
      float worst = l[order_.front()];
      for (size_t i = pool; i < n; ++i) {
        if (l[i] <= worst) continue;
        std::pop_heap(order_.begin(), order_.end(), before);
        order_.back() = static_cast<int32_t>(i);
        std::push_heap(order_.begin(), order_.end(), before);
        worst = l[order_.front()];
      }
    } else {
      order_.resize(n);
      std::iota(order_.begin(), order_.end(), 0);
      std::nth_element(order_.begin(), order_.begin() + static_cast<ptrdiff_t>(pool - 1), order_.end(), before);
      order_.resize(pool);
    }
    std::sort(order_.begin(), order_.end(), before);
    sorted = pool;
  } else {
    order_.resize(n);
    std::iota(order_.begin(), order_.end(), 0);
  }
  auto weight = [&](int32_t id) { return std::exp(static_cast<double>(l[id]) - max_logit); };
  // top-p's probabilities are normalized over the whole top-k pool, before min-p and temperature.
  double z = 0.0;
  if (params_.top_p < 1.0f) {
    for (size_t i = 0; i < pool; ++i) z += weight(order_[i]);
  }

  // min-p keeps p_i >= min_p x p_max, i.e. logit >= max + log(min_p): a prefix of the sorted
  // pool, so it can pick its tokens before any sorting. Top-p also keeps a prefix; the chain keeps
  // the shorter of the two.
  size_t keep = pool;
  if (params_.min_p > 0.0f) {
    const double threshold = max_logit + std::log(static_cast<double>(params_.min_p));
    auto passes = [&](int32_t id) { return static_cast<double>(l[id]) >= threshold; };
    if (sorted == pool) {
      keep = static_cast<size_t>(std::partition_point(order_.begin(), order_.end(), passes) - order_.begin());
    } else {
      keep = static_cast<size_t>(std::partition(order_.begin(), order_.end(), passes) - order_.begin());
    }
  }
  if (params_.top_p < 1.0f) {
    // Sort only as much as top-p needs: grow the sorted prefix until it holds mass top_p.
    double cum = 0.0;
    size_t i = 0;
    for (;;) {
      if (i == sorted && sorted < keep) {
        const size_t m = std::min(keep, std::max<size_t>(256, sorted * 4));
        auto first = order_.begin() + static_cast<ptrdiff_t>(sorted);
        auto mid = order_.begin() + static_cast<ptrdiff_t>(m);
        auto last = order_.begin() + static_cast<ptrdiff_t>(keep);
        if (mid < last) std::nth_element(first, mid - 1, last, before);
        std::sort(first, mid, before);
        sorted = m;
      }
      if (i == keep) break;
      cum += weight(order_[i]) / z;
      ++i;
      if (cum >= params_.top_p) break;
    }
    keep = i;
  } else if (sorted < keep && keep < n) {
    std::sort(order_.begin(), order_.begin() + static_cast<ptrdiff_t>(keep), before);  // min-p alone
  }
  // Temperature last; what is left is drawn in this order (by id when nothing was filtered).
  std::vector<Candidate> out(keep);
  double total = 0.0;
  const double inv_t = 1.0 / static_cast<double>(params_.temperature);
  for (size_t i = 0; i < keep; ++i) {
    out[i].id = order_[i];
    out[i].p = std::exp((static_cast<double>(l[order_[i]]) - max_logit) * inv_t);
    total += out[i].p;
  }
  for (Candidate& c : out) c.p /= total;
  return out;
}

core::Result<std::vector<Sampler::Candidate>> Sampler::distribution(std::span<const float> logits) {
  ANVIL_RETURN_IF_ERROR(penalize(logits));
  ANVIL_ASSIGN_OR_RETURN(std::vector<Candidate> c, candidates());
  std::stable_sort(c.begin(), c.end(), [](const Candidate& a, const Candidate& b) { return a.p > b.p; });
  return c;
}

core::Result<int32_t> Sampler::sample(std::span<const float> logits) {
  ANVIL_RETURN_IF_ERROR(penalize(logits));
  ANVIL_ASSIGN_OR_RETURN(std::vector<Candidate> c, candidates());
  int32_t token = c.back().id;
  if (c.size() > 1) {
    // Inverse CDF over the kept tokens in the chain's order; the last one absorbs rounding.
    const double u = next_uniform();
    double cum = 0.0;
    for (const Candidate& x : c) {
      cum += x.p;
      if (u < cum) {
        token = x.id;
        break;
      }
    }
  } else {
    token = c.front().id;
  }
  accept(token);
  return token;
}

}  // namespace anvil::engine
