// An in-memory Gateway for the server tests: scripted answers and failures, streams of N chunks
// (or endless ones that run until the client goes), and a Gate that holds calls until the test
// releases them, so tests observe in-flight work without sleeping.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "anvil/gateway/gateway.h"

namespace anvil::server::testing {

// Holds coroutines (on any I/O thread) until open(); counts who is waiting.
class Gate {
 public:
  boost::asio::awaitable<void> wait() {
    auto executor = co_await boost::asio::this_coro::executor;
    co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
        [this, executor](auto handler) {
          std::unique_lock lock(mu_);
          ++entered_;
          cv_.notify_all();
          if (open_) {
            lock.unlock();
            boost::asio::post(executor, std::move(handler));
            return;
          }
          waiters_.push_back({executor, std::move(handler)});
        },
        boost::asio::use_awaitable);
  }
  // Blocks the test until `n` coroutines have reached wait().
  void wait_entered(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_ >= n; });
  }
  void open() {
    std::deque<Waiter> ready;
    {
      std::lock_guard lock(mu_);
      open_ = true;
      ready.swap(waiters_);
    }
    for (Waiter& w : ready) boost::asio::post(w.executor, std::move(w.handler));
  }

 private:
  struct Waiter {
    boost::asio::any_io_executor executor;
    boost::asio::any_completion_handler<void()> handler;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Waiter> waiters_;
  int entered_ = 0;
  bool open_ = false;
};

class FakeGateway final : public gateway::Gateway {
 public:
  // Script, set by the test before the requests it concerns.
  std::optional<gateway::UpstreamFailure> failure;  // every call fails with it
  Gate* gate = nullptr;           // complete(): wait before answering; stream(): after 1 event
  int stream_events = 3;          // chunks per stream; -1: until the client goes away
  int fail_after_events = -1;     // stream(): fail with `failure` after this many chunks
  gateway::Usage usage{7, 3, 2, true};
  double cost_usd = 0.0;                                  // of each answered call
  gateway::PromptCount prompt_count{.exact = false};      // what count_prompt_tokens says
  std::int64_t prompt_limit = 0;                          // max_prompt_tokens of every model

  // Observations (guarded by mu).
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  std::string last_request_id;
  boost::json::object last_body;
  bool client_went_away = false;

  void wait_client_went_away() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return client_went_away; });
  }

  std::vector<gateway::ModelInfo> models() const override {
    return {{"test-model", "anvil"}, {"other-model", "anvil"}};
  }
  bool has_model(std::string_view m) const override {
    return m == "test-model" || m == "other-model";
  }

  std::int64_t max_prompt_tokens(std::string_view) const override { return prompt_limit; }
  core::Result<gateway::PromptCount> count_prompt_tokens(std::string_view, gateway::Operation,
                                                         const boost::json::object&) const override {
    return prompt_count;
  }

  boost::asio::awaitable<gateway::CallResult> complete(gateway::Operation op,
                                                       boost::json::object body,
                                                       const gateway::CallContext& context) override {
    observe(body, context);
    if (gate != nullptr) co_await gate->wait();
    gateway::CallResult r;
    r.attempts = 1;
    if (failure) {
      r.failure = failure;
      co_return r;
    }
    r.deployment = "fake-deployment";
    r.usage = usage;
    r.cost_usd = cost_usd;
    r.response.usage = usage;
    r.response.body = fmt::format(
        R"({{"id":"chatcmpl-1","object":"{}","model":"{}","choices":[{{"index":0,"message":{{"role":"assistant","content":"hello"}},"finish_reason":"stop"}}]}})",
        gateway::operation_name(op), std::string_view(body.at("model").as_string()));
    co_return r;
  }

  boost::asio::awaitable<gateway::CallResult> stream(gateway::Operation op, boost::json::object body,
                                                     const gateway::CallContext& context,
                                                     gateway::StreamSink& sink) override {
    observe(body, context);
    (void)op;
    gateway::CallResult r;
    r.attempts = 1;
    if (failure && fail_after_events <= 0) {
      r.failure = failure;
      co_return r;
    }
    r.deployment = "fake-deployment";
    for (int i = 0; stream_events < 0 || i < stream_events; ++i) {
      if (failure && i == fail_after_events) {
        r.failure = failure;
        co_return r;
      }
      std::string chunk = fmt::format(
          R"({{"id":"chatcmpl-s1","object":"chat.completion.chunk","created":1700000000,"model":"up-model","choices":[{{"index":0,"delta":{{"content":"t{}"}}}}]}})",
          i);
      bool delivered = co_await sink.write_event(chunk);
      if (!delivered) {
        std::lock_guard lock(mu);
        client_went_away = true;
        cv.notify_all();
        r.failure = gateway::UpstreamFailure{gateway::FailureKind::kCancelled, 0, std::nullopt,
                                             "client went away", ""};
        co_return r;
      }
      if (i == 0 && gate != nullptr) co_await gate->wait();
    }
    r.usage = usage;
    r.cost_usd = cost_usd;
    co_return r;
  }

 private:
  void observe(const boost::json::object& body, const gateway::CallContext& context) {
    std::lock_guard lock(mu);
    ++calls;
    last_request_id = context.request_id;
    last_body = body;
  }
};

}  // namespace anvil::server::testing
