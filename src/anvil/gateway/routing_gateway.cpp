#include "anvil/gateway/routing_gateway.h"

#include <fmt/format.h>

#include <algorithm>

#include "anvil/gateway/pricing.h"

namespace anvil::gateway {
namespace {

namespace asio = boost::asio;

// Passes a stream's chunks to the client and keeps a copy for the response cache, up to a byte
// bound (a longer stream is passed on and not cached).
class CaptureSink final : public StreamSink {
 public:
  CaptureSink(StreamSink& out, std::int64_t max_bytes) : out_(out), max_bytes_(max_bytes) {}

  asio::awaitable<bool> write_event(std::string_view json) override {
    if (capturing_) {
      bytes_ += static_cast<std::int64_t>(json.size());
      if (bytes_ > max_bytes_) {
        capturing_ = false;
        chunks_.clear();
      } else {
        chunks_.emplace_back(json);
      }
    }
    const bool more = co_await out_.write_event(json);
    if (!more) capturing_ = false;  // the client left: what came is not a whole answer
    co_return more;
  }
  bool started() const override { return out_.started(); }

  // A whole stream was kept.
  bool captured() const { return capturing_; }
  std::vector<std::string> take() { return std::move(chunks_); }

 private:
  StreamSink& out_;
  std::int64_t max_bytes_;
  bool capturing_ = true;
  std::int64_t bytes_ = 0;
  std::vector<std::string> chunks_;
};

// An admitted attempt's claim on its breaker: the outcome is reported exactly once, and an
// attempt abandoned without one (its coroutine destroyed at shutdown) reports kIgnored, so a
// half-open breaker never waits forever for a probe that will not answer.
class BreakerTicket {
 public:
  BreakerTicket(CircuitBreaker& breaker, Admission admission)
      : breaker_(breaker), admission_(admission) {}
  BreakerTicket(const BreakerTicket&) = delete;
  BreakerTicket& operator=(const BreakerTicket&) = delete;
  ~BreakerTicket() { report(BreakerOutcome::kIgnored); }

  void report(BreakerOutcome outcome) {
    if (admission_ == Admission::kRefused) return;
    breaker_.record(admission_, outcome);
    admission_ = Admission::kRefused;
  }
  // Asks again before a retry; false when the breaker opened meanwhile.
  bool readmit() {
    report(BreakerOutcome::kIgnored);
    admission_ = breaker_.admit();
    return admission_ != Admission::kRefused;
  }

 private:
  CircuitBreaker& breaker_;
  Admission admission_;
};

// Prompt tokens plus the completion's budget, when the server counted the prompt.
std::int64_t tokens_needed(const CallContext& context, const boost::json::object& body) {
  if (context.prompt_tokens <= 0) return 0;
  std::int64_t completion = 0;
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    if (const auto* v = body.if_contains(key); v != nullptr && v->is_int64()) {
      completion = std::max(completion, v->get_int64());
    }
  }
  return context.prompt_tokens + completion;
}

BreakerOutcome breaker_outcome(const UpstreamFailure& failure) {
  if (counts_against_breaker(failure)) return BreakerOutcome::kFailure;
  // The client went away: says nothing about the upstream. Anything else was an answer.
  return failure.kind == FailureKind::kCancelled ? BreakerOutcome::kIgnored : BreakerOutcome::kSuccess;
}

UpstreamFailure http_failure(int status, std::string message) {
  UpstreamFailure f;
  f.kind = FailureKind::kHttpStatus;
  f.http_status = status;
  f.message = std::move(message);
  return f;
}

std::string list_models(const GatewayConfig& config) {
  std::string out;
  for (const ModelRoute& m : config.models) {
    if (!out.empty()) out += ", ";
    out += m.name;
  }
  return out;
}

// Why no deployment was even tried.
UpstreamFailure nothing_tried(const ModelRoute& route, const RoutePlan& plan,
                              std::int64_t tokens) {
  if (plan.refused_by_breaker() == 0 && plan.too_small() > 0) {
    UpstreamFailure f;
    f.kind = FailureKind::kContextOverflow;
    f.message = fmt::format(
        "the request needs {} tokens (prompt and max_tokens), more than the context window of "
        "every deployment of model '{}' and of its context_window_fallbacks",
        tokens, route.name);
    return f;
  }
  std::string why;
  if (plan.refused_by_breaker() > 0) {
    why = fmt::format("{} refused by an open circuit breaker", plan.refused_by_breaker());
  }
  if (plan.too_small() > 0) {
    why += fmt::format("{}{} with a context window under the {} tokens needed",
                       why.empty() ? "" : ", ", plan.too_small(), tokens);
  }
  if (why.empty()) why = "it has no deployments";
  return http_failure(503, fmt::format("no deployment of model '{}' is available: {}", route.name, why));
}

}  // namespace

core::Result<std::unique_ptr<RoutingGateway>> RoutingGateway::create(GatewayConfig config,
                                                                     ProviderMap providers,
                                                                     RoutingGatewayOptions options) {
  std::string available;
  for (const auto& [name, provider] : providers) {
    if (!available.empty()) available += ", ";
    available += name;
  }
  for (const Deployment& d : config.deployments) {
    auto it = providers.find(d.provider);
    if (it == providers.end() || it->second == nullptr) {
      return core::Status::invalid_argument(
          fmt::format("deployment '{}' uses provider '{}', which is not available (available: {})",
                      d.name, d.provider, available.empty() ? "none" : available));
    }
  }
  for (const ModelRoute& m : config.models) {
    for (const std::string& d : m.deployments) {
      if (config.find_deployment(d) == nullptr) {
        return core::Status::invalid_argument(
            fmt::format("model '{}' names deployment '{}', which is not defined", m.name, d));
      }
    }
  }
  std::unique_ptr<RoutingGateway> gateway(
      new RoutingGateway(std::move(config), std::move(providers), options));
  for (const Deployment& d : gateway->config_.deployments) {
    if (d.tokenizer.empty()) continue;
    auto tokenizer = PromptTokenizer::open(d.tokenizer);
    if (!tokenizer.ok()) {
      return core::Status::invalid_argument(fmt::format("deployment '{}': tokenizer: {}", d.name,
                                                        tokenizer.status().message()));
    }
    gateway->deployments_.at(&d).tokenizer = std::move(tokenizer).value();
  }
  return gateway;
}

namespace {

std::vector<std::string> deployment_names(const GatewayConfig& config) {
  std::vector<std::string> names;
  for (const Deployment& d : config.deployments) names.push_back(d.name);
  return names;
}

}  // namespace

RoutingGateway::RoutingGateway(GatewayConfig config, ProviderMap providers,
                               RoutingGatewayOptions options)
    : config_(std::move(config)),
      providers_(std::move(providers)),
      clock_(*options.clock),
      sleeper_(options.sleeper != nullptr ? *options.sleeper : default_sleeper_),
      breakers_(deployment_names(config_), config_.breaker, clock_, options.metrics),
      router_(config_, breakers_, options.seed),
      retry_(config_.retry, options.seed ^ 0x5bd1e995u),
      cache_(config_.cache, clock_) {
  for (const Deployment& d : config_.deployments) {
    deployments_[&d] = {providers_.find(d.provider)->second, deployment_metrics(options.metrics, d.name)};
  }
  for (const ModelRoute& m : config_.models) model_metrics_[&m] = model_metrics(options.metrics, m.name);
}

std::vector<ModelInfo> RoutingGateway::models() const {
  std::vector<ModelInfo> out;
  for (const ModelRoute& m : config_.models) out.push_back({m.name, "anvil"});
  return out;
}

bool RoutingGateway::has_model(std::string_view logical_model) const {
  return router_.find(logical_model) != nullptr;
}

namespace {

PromptCount prompt_count(const std::vector<std::int64_t>& counts, Operation op, const std::string& deployment) {
  PromptCount c;
  c.counted_with = deployment;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    c.total += counts[i];
    if (i == 0 || counts[i] > c.largest) {
      c.largest = counts[i];
      c.largest_index = op == Operation::kChatCompletions ? -1 : static_cast<int>(i);
    }
  }
  return c;
}

}  // namespace

std::int64_t RoutingGateway::max_prompt_tokens(std::string_view logical_model) const {
  const ModelRoute* m = config_.find_model(logical_model);
  if (m != nullptr && m->max_prompt_tokens) return *m->max_prompt_tokens;
  return config_.max_prompt_tokens;
}

core::Result<PromptCount> RoutingGateway::count_prompt_tokens(std::string_view logical_model, Operation op,
                                                             const boost::json::object& body) const {
  if (const ModelRoute* m = config_.find_model(logical_model)) {
    for (const std::string& name : m->deployments) {
      const Deployment* d = config_.find_deployment(name);
      const DeploymentRuntime& runtime = deployments_.at(d);
      if (runtime.tokenizer) {
        ANVIL_ASSIGN_OR_RETURN(PromptCount count, runtime.tokenizer->count(op, body));
        count.counted_with = d->name;
        return count;
      }
      core::Result<std::vector<std::int64_t>> counts = runtime.provider->count_prompts(*d, op, body);
      if (counts.ok()) return prompt_count(*counts, op, d->name);
      if (counts.status().code() != core::StatusCode::kUnsupported) return counts.status();
    }
  }
  return estimate_prompt_tokens(op, body);
}

asio::awaitable<CallResult> RoutingGateway::complete(Operation op, boost::json::object body,
                                                     const CallContext& context) {
  co_return co_await call(op, std::move(body), context, nullptr);
}

asio::awaitable<CallResult> RoutingGateway::stream(Operation op, boost::json::object body,
                                                   const CallContext& context, StreamSink& sink) {
  co_return co_await call(op, std::move(body), context, &sink);
}

namespace {

// Fills `result` from a cached answer; a stream is replayed chunk by chunk.
asio::awaitable<void> serve_cached(const CachedAnswer& answer, StreamSink* sink, CallResult& result) {
  result.failure.reset();
  result.response = answer.response;
  result.usage = sink != nullptr ? answer.usage : answer.response.usage;
  result.cost_usd = 0;
  result.cache_hit = true;
  if (sink == nullptr) co_return;
  for (const std::string& chunk : answer.chunks) {
    const bool delivered = co_await sink->write_event(chunk);  // not `if (!co_await`: GCC 12
    if (!delivered) break;  // the client left
  }
}

}  // namespace

void RoutingGateway::bill(CallResult& result, const Deployment& deployment,
                          const DeploymentRuntime& runtime, const Usage& usage) const {
  result.deployment = deployment.name;
  result.usage = usage;
  result.cost_usd = cost_usd(usage, deployment.price);
  runtime.metrics.billed(usage, result.cost_usd);
}

asio::awaitable<CallResult> RoutingGateway::call(Operation op, boost::json::object body,
                                                 const CallContext& context, StreamSink* sink) {
  CallResult result;
  std::string_view model_name;
  if (const auto* m = body.if_contains("model"); m != nullptr && m->is_string()) {
    model_name = m->get_string();
  }
  const ModelRoute* route = router_.find(model_name);
  if (route == nullptr) {
    result.failure = http_failure(404, fmt::format("model '{}' does not exist (available: {})",
                                                   model_name, list_models(config_)));
    co_return result;
  }
  const ModelMetrics& metrics = model_metrics_.at(route);
  const SteadyTime deadline = context.deadline == SteadyTime{}
                                  ? clock_.now() + config_.request_timeout
                                  : context.deadline;

  std::string cache_key;
  if (route->cache.enabled) {
    cache_key = response_cache_key(op, body, sink != nullptr);
    if (auto hit = cache_.find(cache_key, route->cache.ttl)) {
      bump(metrics.cache_hits);
      co_await serve_cached(*hit, sink, result);
      co_return result;
    }
    bump(metrics.cache_misses);
  }

  const std::int64_t tokens = tokens_needed(context, body);
  RoutePlan plan = router_.plan(*route, tokens);
  ProviderRequest request{op, std::move(body), sink != nullptr, deadline, context.request_id};
  // Caching a stream needs a copy of its chunks; a tenth of the cache at most.
  std::optional<CaptureSink> capture;
  if (sink != nullptr) capture.emplace(*sink, route->cache.enabled ? config_.cache.max_bytes / 10 : 0);

  std::optional<UpstreamFailure> last;
  bool final = false;  // `last` is the answer: no other deployment, no cached answer
  LeaveReason reason = LeaveReason::kFault;
  int deployments_entered = 0;
  while (!final) {
    std::optional<RouteCandidate> candidate = plan.next(reason);
    if (!candidate) break;
    if (deployments_entered++ > 0) {
      ++result.fallbacks;
      bump(metrics.fallbacks);
    }
    const Deployment& deployment = *candidate->deployment;
    const DeploymentRuntime& runtime = deployments_.at(&deployment);
    BreakerTicket ticket(*candidate->breaker, candidate->admission);
    request.body["model"] = deployment.model;
    for (int attempt = 1;; ++attempt) {
      if (clock_.now() >= deadline) {
        ticket.report(BreakerOutcome::kIgnored);
        UpstreamFailure f;
        f.kind = FailureKind::kTimeout;
        f.message = fmt::format("the request's deadline passed after {} attempt{}", result.attempts,
                                result.attempts == 1 ? "" : "s");
        last = std::move(f);
        final = true;
        break;
      }
      const SteadyTime started = clock_.now();
      Attempt outcome;
      if (sink == nullptr) {
        outcome = co_await runtime.provider->complete(deployment, request);
      } else {
        StreamAttempt streamed = co_await runtime.provider->stream(deployment, request, *capture);
        outcome.failure = std::move(streamed.failure);
        outcome.response.usage = streamed.usage;
      }
      const auto took = clock_.now() - started;
      ++result.attempts;
      result.upstream_latency += std::chrono::duration_cast<std::chrono::microseconds>(took);
      runtime.metrics.attempt(outcome);
      if (runtime.metrics.latency != nullptr) {
        runtime.metrics.latency->observe(std::chrono::duration<double>(took).count());
      }

      if (outcome.ok()) {
        ticket.report(BreakerOutcome::kSuccess);
        result.failure.reset();
        bill(result, deployment, runtime, outcome.response.usage);
        if (route->cache.enabled && outcome.response.http_status == 200 &&
            (sink == nullptr || capture->captured())) {
          CachedAnswer answer;
          answer.deployment = deployment.name;
          if (sink == nullptr) {
            answer.response = outcome.response;
          } else {
            answer.chunks = capture->take();
            answer.usage = outcome.response.usage;
          }
          cache_.insert(std::move(cache_key), std::move(answer));
        }
        result.response = std::move(outcome.response);
        co_return result;
      }

      const UpstreamFailure& failure = *outcome.failure;
      ticket.report(breaker_outcome(failure));
      last = failure;
      // Bytes reached the client, or the client left: nothing more may be tried, and what was
      // made so far (a local model's tokens up to the cancellation) is billed.
      if (failure.kind == FailureKind::kCancelled || (sink != nullptr && sink->started())) {
        bill(result, deployment, runtime, outcome.response.usage);
        final = true;
        break;
      }
      const std::optional<std::chrono::milliseconds> wait =
          retry_.next_delay(failure, attempt, clock_.now(), deadline);
      if (!wait) break;
      bump(runtime.metrics.retries);
      co_await sleeper_.sleep(*wait);
      if (!ticket.readmit()) break;  // the breaker opened meanwhile
    }
    if (final) break;
    if (last->kind == FailureKind::kContextOverflow) {
      reason = LeaveReason::kContextOverflow;
    } else if (is_deployment_fault(*last)) {
      reason = LeaveReason::kFault;
    } else {
      final = true;  // the request itself is at fault (400, 422...): the upstream's answer stands
    }
  }

  // Every deployment failed (not the request, not the client): a cached answer, however old
  // within stale_ttl, beats an error.
  const bool request_fault = final && last && last->kind != FailureKind::kTimeout;
  if (!request_fault && route->cache.enabled && route->cache.stale_ttl.count() > 0 &&
      (sink == nullptr || !sink->started())) {
    if (auto stale = cache_.find(cache_key, route->cache.stale_ttl)) {
      bump(metrics.cache_fallbacks);
      co_await serve_cached(*stale, sink, result);
      result.cached_fallback = true;
      co_return result;
    }
  }
  result.failure = last ? std::move(*last) : nothing_tried(*route, plan, tokens);
  co_return result;
}

}  // namespace anvil::gateway
