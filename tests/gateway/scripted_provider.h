// Test doubles for the gateway's policies: a Provider that plays a script per deployment, a
// StreamSink that records what the client would receive, a Sleeper that records the delays asked
// for (moving a ManualClock instead of waiting), and a runner for awaitables.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "anvil/gateway/monotonic_clock.h"
#include "anvil/gateway/provider.h"
#include "anvil/gateway/sleeper.h"

namespace anvil::gateway::testing {

// One scripted attempt.
struct Step {
  std::optional<UpstreamFailure> failure;  // after `chunks` for a stream
  std::string body = R"({"id":"x","choices":[]})";
  Usage usage{.prompt_tokens = 10, .completion_tokens = 5, .cached_tokens = 0, .reported = true};
  std::vector<std::string> chunks = {R"({"n":1})", R"({"n":2})"};
  std::chrono::milliseconds latency{0};  // moves the clock
  bool hang = false;  // never answers (waits on a timer an hour away)
};

inline Step ok(std::string body = R"({"id":"x","choices":[]})") {
  Step s;
  s.body = std::move(body);
  return s;
}

inline Step fail(FailureKind kind, int status = 0,
                 std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
  Step s;
  UpstreamFailure f;
  f.kind = kind;
  f.http_status = status;
  f.retry_after = retry_after;
  f.message = "scripted failure";
  s.failure = f;
  return s;
}

inline Step http(int status, std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
  return fail(FailureKind::kHttpStatus, status, retry_after);
}

class ScriptedProvider final : public Provider {
 public:
  explicit ScriptedProvider(ManualClock* clock = nullptr) : clock_(clock) {}

  // Steps for `deployment`, played in order; a call past the end fails the test.
  void script(const std::string& deployment, std::vector<Step> steps) {
    for (Step& s : steps) scripts_[deployment].push_back(std::move(s));
  }

  struct Call {
    std::string deployment;
    std::string model;  // body["model"] as sent
    bool stream = false;
  };
  const std::vector<Call>& calls() const { return calls_; }
  std::vector<std::string> deployments_called() const {
    std::vector<std::string> out;
    for (const Call& c : calls_) out.push_back(c.deployment);
    return out;
  }

  boost::asio::awaitable<Attempt> complete(const Deployment& deployment,
                                           const ProviderRequest& request) override {
    Step step = next(deployment, request);
    if (step.hang) co_await hang();
    Attempt a;
    a.failure = step.failure;
    a.response.body = step.body;
    a.response.usage = step.usage;
    co_return a;
  }

  boost::asio::awaitable<StreamAttempt> stream(const Deployment& deployment,
                                               const ProviderRequest& request,
                                               StreamSink& sink) override {
    Step step = next(deployment, request);
    StreamAttempt a;
    // A failure with no chunks fails before the first byte; otherwise chunks, then the failure.
    if (!step.failure || !step.chunks.empty()) {
      for (const std::string& chunk : step.chunks) {
        if (!co_await sink.write_event(chunk)) {
          a.failure = UpstreamFailure{FailureKind::kCancelled, 0, std::nullopt, "client left", ""};
          co_return a;
        }
      }
    }
    a.failure = step.failure;
    a.usage = step.usage;
    co_return a;
  }

 private:
  static boost::asio::awaitable<void> hang() {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, std::chrono::hours(1));
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  Step next(const Deployment& deployment, const ProviderRequest& request) {
    const auto* model = request.body.if_contains("model");
    calls_.push_back({deployment.name, model != nullptr && model->is_string()
                                           ? std::string(model->get_string())
                                           : std::string(),
                      request.stream});
    auto& queue = scripts_[deployment.name];
    if (queue.empty()) {
      ADD_FAILURE() << "no scripted step left for deployment '" << deployment.name << "'";
      return fail(FailureKind::kProtocol);
    }
    Step step = std::move(queue.front());
    queue.pop_front();
    if (clock_ != nullptr) clock_->advance(step.latency);
    return step;
  }

  ManualClock* clock_;
  std::map<std::string, std::deque<Step>> scripts_;
  std::vector<Call> calls_;
};

class RecordingSink final : public StreamSink {
 public:
  // `accept`: how many events the client takes before it goes away (-1: all).
  explicit RecordingSink(int accept = -1) : accept_(accept) {}

  boost::asio::awaitable<bool> write_event(std::string_view json) override {
    if (accept_ >= 0 && static_cast<int>(events.size()) >= accept_) co_return false;
    events.emplace_back(json);
    co_return true;
  }
  bool started() const override { return !events.empty(); }

  std::vector<std::string> events;

 private:
  int accept_;
};

class RecordingSleeper final : public Sleeper {
 public:
  explicit RecordingSleeper(ManualClock& clock) : clock_(clock) {}
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds delay) override {
    delays.push_back(delay);
    clock_.advance(delay);
    co_return;
  }
  std::vector<std::chrono::milliseconds> delays;

 private:
  ManualClock& clock_;
};

// Runs `work` to completion on a fresh io_context and returns its value.
template <typename T>
T run(boost::asio::awaitable<T> work) {
  boost::asio::io_context io;
  std::optional<T> out;
  boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr error, T value) {
    if (error) std::rethrow_exception(error);
    out = std::move(value);
  });
  io.run();
  return std::move(*out);
}

}  // namespace anvil::gateway::testing
