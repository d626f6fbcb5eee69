#include "anvil/gateway/local_encoder.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <optional>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "anvil/gateway/local_failures.h"

namespace anvil::gateway {

namespace asio = boost::asio;
using core::Status;
using Clock = std::chrono::steady_clock;

int64_t EncoderWork::tokens() const {
  int64_t n = 0;
  for (const auto& t : texts) n += static_cast<int64_t>(t.size());
  for (const auto& p : pairs) n += static_cast<int64_t>(p.tokens.size());
  return n;
}

// A request shared by the coroutine that waits for it and the worker. While the coroutine waits,
// `waiter` is its timer: the worker stores the result and posts a wake-up (a cancel of that
// timer) to the timer's executor, under the mutex. The coroutine clears `waiter` under the same
// mutex when it stops waiting (answered, past its deadline, or its frame destroyed with its
// io_context), so the worker never posts to an executor nobody waits on and skips work nobody
// wants. The Job holds no I/O object itself: the worker may drop it whatever became of the
// caller's io_context.
struct LocalEncoder::Job {
  EncoderWork work;
  int64_t tokens = 0;
  std::mutex mu;
  std::optional<core::Result<std::vector<float>>> result;  // guarded by mu
  std::shared_ptr<asio::steady_timer> waiter;              // guarded by mu

  bool wanted() {
    std::lock_guard lock(mu);
    return waiter != nullptr;
  }
  // Worker thread (or the destructor).
  void finish(core::Result<std::vector<float>> r) {
    std::lock_guard lock(mu);
    if (!waiter) return;
    result.emplace(std::move(r));
    asio::post(waiter->get_executor(), [timer = waiter] { timer->cancel(); });
  }
  // Coroutine side: stops waiting; the result, if one came.
  std::optional<core::Result<std::vector<float>>> stop_waiting() {
    std::lock_guard lock(mu);
    waiter.reset();
    return std::exchange(result, std::nullopt);
  }
};

namespace {

// Stops the wait however the coroutine ends, its frame destroyed unresumed included.
struct StopWaiting {
  std::shared_ptr<LocalEncoder::Job> job;
  ~StopWaiting() { job->stop_waiting(); }
};

}  // namespace

core::Result<std::unique_ptr<LocalEncoder>> LocalEncoder::create(
    std::unique_ptr<engine::EncoderRuntime> runtime, const LocalEncoderOptions& options) {
  if (options.max_waiting < 1 || options.merge_tokens < 1) {
    return Status::invalid_argument(
        fmt::format("local encoder options: max_waiting {}, merge_tokens {}: expected both positive",
                    options.max_waiting, options.merge_tokens));
  }
  std::unique_ptr<LocalEncoder> e(new LocalEncoder(options));
  if (runtime->model().config().pooling == engine::PoolingType::kRank) {
    ANVIL_ASSIGN_OR_RETURN(e->reranker_, engine::Reranker::create(std::move(runtime)));
  } else {
    ANVIL_ASSIGN_OR_RETURN(e->embedder_, engine::Embedder::create(std::move(runtime)));
  }
  e->worker_ = std::thread([self = e.get()] { self->work_loop(); });
  return e;
}

LocalEncoder::~LocalEncoder() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  for (const auto& job : queue_) job->finish(Status::unavailable("the encoder is shutting down"));
}

const engine::EncoderRuntime& LocalEncoder::runtime() const {
  return embedder_ ? embedder_->runtime() : reranker_->runtime();
}

int64_t LocalEncoder::width() const { return embedder_ ? embedder_->dim() : 1; }

std::string LocalEncoder::describe() const {
  if (embedder_) {
    return fmt::format("an embedding model ({} dimensions, {} pooling)", embedder_->dim(),
                       engine::pooling_type_name(embedder_->pooling()));
  }
  return "a reranker (a cross-encoder with a classification head)";
}

Status LocalEncoder::submit(std::shared_ptr<Job> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::unavailable("the encoder is shutting down");
    if (static_cast<int64_t>(queue_.size()) >= options_.max_waiting) {
      return Status::resource_exhausted(fmt::format(
          "{} requests already wait for the encoder (the limit); try again shortly", queue_.size()));
    }
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return {};
}

void LocalEncoder::pause() {
  std::lock_guard lock(mu_);
  paused_ = true;
}

void LocalEncoder::resume() {
  {
    std::lock_guard lock(mu_);
    paused_ = false;
  }
  wake_.notify_all();
}

LocalEncoder::Stats LocalEncoder::stats() const {
  std::lock_guard lock(mu_);
  return {static_cast<int64_t>(queue_.size()), runs_, requests_run_};
}

asio::awaitable<core::Result<std::vector<float>>> LocalEncoder::run(EncoderWork work,
                                                                    Clock::time_point deadline) {
  if (Clock::now() >= deadline) {
    co_return Status::deadline_exceeded("the request deadline passed before the encoder ran");
  }
  auto job = std::make_shared<Job>();
  job->tokens = work.tokens();
  job->work = std::move(work);
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, deadline);
  job->waiter = timer;  // not shared yet: no lock needed
  StopWaiting guard{job};
  if (Status queued = submit(job); !queued.ok()) co_return queued;
  // Cancelled by finish() (operation_aborted) or expired at the deadline: either way the result
  // decides, since a result may land just as the deadline passes.
  auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  (void)ec;
  std::optional<core::Result<std::vector<float>>> result = job->stop_waiting();
  if (result) co_return std::move(*result);
  co_return Status::deadline_exceeded("the request deadline passed before the encoder answered");
}

void LocalEncoder::work_loop() {
  for (;;) {
    std::vector<std::shared_ptr<Job>> jobs;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || (!paused_ && !queue_.empty()); });
      if (stopping_) return;
      // The requests at the front, up to merge_tokens together: concurrent small requests share
      // forward passes instead of running one by one.
      int64_t tokens = 0;
      while (!queue_.empty()) {
        std::shared_ptr<Job>& next = queue_.front();
        if (next->wanted()) {
          if (!jobs.empty() && tokens + next->tokens > options_.merge_tokens) break;
          tokens += next->tokens;
          jobs.push_back(std::move(next));
        }
        queue_.pop_front();
      }
      if (!jobs.empty()) {
        ++runs_;
        requests_run_ += static_cast<int64_t>(jobs.size());
      }
    }
    if (!jobs.empty()) execute(jobs);
  }
}

core::Result<std::vector<float>> LocalEncoder::forward(const std::vector<std::shared_ptr<Job>>& jobs) const {
  // One request runs from its own vectors; several are copied into one list (token ids: small
  // next to the forward pass they feed).
  if (embedder_) {
    std::vector<std::vector<text::TokenId>> merged;
    if (jobs.size() > 1) {
      for (const auto& job : jobs)
        merged.insert(merged.end(), job->work.texts.begin(), job->work.texts.end());
    }
    ANVIL_ASSIGN_OR_RETURN(std::vector<std::vector<float>> vectors,
                           embedder_->embed_tokens(jobs.size() > 1 ? merged : jobs[0]->work.texts));
    std::vector<float> flat;
    flat.reserve(vectors.size() * static_cast<size_t>(width()));
    for (const auto& v : vectors) flat.insert(flat.end(), v.begin(), v.end());
    return flat;
  }
  std::vector<engine::RerankPair> merged;
  if (jobs.size() > 1) {
    for (const auto& job : jobs) merged.insert(merged.end(), job->work.pairs.begin(), job->work.pairs.end());
  }
  return reranker_->score_pairs(jobs.size() > 1 ? merged : jobs[0]->work.pairs);
}

void LocalEncoder::execute(std::vector<std::shared_ptr<Job>>& jobs) const {
  core::Result<std::vector<float>> out = Status::internal("the encoder did not run");
  try {
    out = forward(jobs);
  } catch (const std::exception& e) {  // bad_alloc for a huge batch: fail it, keep serving
    out = Status::internal(fmt::format("the encoder failed: {}", e.what()));
  }
  if (!out.ok() && jobs.size() > 1) {
    for (auto& job : jobs) {
      std::vector<std::shared_ptr<Job>> alone{job};
      execute(alone);
    }
    return;
  }
  if (!out.ok()) {
    jobs[0]->finish(out.status());
    return;
  }
  const auto w = static_cast<size_t>(width());
  size_t offset = 0;
  for (auto& job : jobs) {
    const size_t n = job->work.size() * w;
    job->finish(std::vector<float>(out->begin() + static_cast<std::ptrdiff_t>(offset),
                                   out->begin() + static_cast<std::ptrdiff_t>(offset + n)));
    offset += n;
  }
}

asio::awaitable<std::variant<std::vector<float>, UpstreamFailure>> run_encoder(LocalEncoder& encoder,
                                                                               EncoderWork work,
                                                                               const Deployment& deployment,
                                                                               Clock::time_point deadline) {
  core::Result<std::vector<float>> out = co_await encoder.run(std::move(work), deadline);
  if (!out.ok()) co_return local_engine_failure(out.status(), deployment);
  if (!std::all_of(out->begin(), out->end(), [](float x) { return std::isfinite(x); })) {
    co_return local_engine_failure(Status::internal("the model produced a non-finite output"), deployment);
  }
  co_return std::move(out).value();
}

}  // namespace anvil::gateway
