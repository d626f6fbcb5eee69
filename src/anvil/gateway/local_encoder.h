// One local encoder (an embedding model or a cross-encoder reranker) served to the gateway's
// coroutines. Forward passes never run on an I/O thread: requests queue, bounded, for the
// encoder's own worker thread, which merges the requests waiting together into shared forward
// passes and hands each result back on the executor of the coroutine that asked.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "anvil/core/status.h"
#include "anvil/engine/embedder.h"
#include "anvil/engine/reranker.h"
#include "anvil/gateway/deployment.h"
#include "anvil/gateway/upstream.h"

namespace anvil::gateway {

struct LocalEncoderOptions {
  int64_t max_waiting = 256;    // requests queued (not yet running); more are refused (429)
  int64_t merge_tokens = 8192;  // requests run together up to this many tokens (at least one)
};

// What one request asks of the encoder: framed sequences, [CLS] text [SEP] for an embedding
// model (`texts`), query-document pairs for a reranker (`pairs`); the other stays empty.
struct EncoderWork {
  std::vector<std::vector<text::TokenId>> texts;
  std::vector<engine::RerankPair> pairs;
  size_t size() const { return texts.size() + pairs.size(); }
  int64_t tokens() const;
};

class LocalEncoder {
 public:
  // A BERT-family model: a reranker when its pooling is rank (it then has the classification
  // head, BertModel checks that), else an embedding model (Embedder's errors for pooling none).
  static core::Result<std::unique_ptr<LocalEncoder>> create(std::unique_ptr<engine::EncoderRuntime> runtime,
                                                            const LocalEncoderOptions& options);
  // Queued requests that have not run fail with kUnavailable; the one running finishes first.
  ~LocalEncoder();
  LocalEncoder(const LocalEncoder&) = delete;
  LocalEncoder& operator=(const LocalEncoder&) = delete;

  const engine::Embedder* embedder() const { return embedder_.get(); }  // null for a reranker
  const engine::Reranker* reranker() const { return reranker_.get(); }  // null for an embedder
  const engine::EncoderRuntime& runtime() const;
  // Floats per sequence in a result: the embedding size, or 1 (a reranker's logit).
  int64_t width() const;
  // "an embedding model (bert, mean pooling)" / "a reranker (bert, classification head)".
  std::string describe() const;

  // Runs `work` on the worker: width() floats per sequence, in order ([n_seq, width] f32).
  // kResourceExhausted when max_waiting requests already wait; kDeadlineExceeded when `deadline`
  // passes first (the work is then dropped if it has not started). Resumes on the caller's
  // executor, which must run on one thread (as Anvil's I/O threads do).
  boost::asio::awaitable<core::Result<std::vector<float>>> run(
      EncoderWork work, std::chrono::steady_clock::time_point deadline);

  // While paused the worker starts no run: requests queue (up to max_waiting) and wait. For tests
  // that need a known queue, and to hold work back without refusing it.
  void pause();
  void resume();

  struct Stats {
    int64_t waiting = 0;   // requests queued now
    int64_t runs = 0;      // merged runs started so far
    int64_t requests = 0;  // requests those runs carried
  };
  Stats stats() const;

  struct Job;  // one queued request and the coroutine waiting for it (local_encoder.cpp)

 private:
  explicit LocalEncoder(const LocalEncoderOptions& options) : options_(options) {}
  core::Status submit(std::shared_ptr<Job> job);
  void work_loop();
  // Runs `jobs` as one merged request; if that fails and there are several, each alone, so that
  // one request's failure is not another's.
  void execute(std::vector<std::shared_ptr<Job>>& jobs) const;
  core::Result<std::vector<float>> forward(const std::vector<std::shared_ptr<Job>>& jobs) const;

  LocalEncoderOptions options_;
  std::unique_ptr<engine::Embedder> embedder_;
  std::unique_ptr<engine::Reranker> reranker_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;  // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  bool paused_ = false;                     // guarded by mu_
  int64_t runs_ = 0, requests_run_ = 0;     // guarded by mu_
  std::thread worker_;
};

// LocalEncoder::run for one request to `deployment`: the floats, or the failure its client sees
// (local_engine_failure: 429 when the queue is full, a timeout at the deadline; a non-finite
// output is a 500, since JSON cannot carry it).
boost::asio::awaitable<std::variant<std::vector<float>, UpstreamFailure>> run_encoder(
    LocalEncoder& encoder, EncoderWork work, const Deployment& deployment,
    std::chrono::steady_clock::time_point deadline);

// What an encoder request is billed: every token it ran, as prompt tokens.
inline Usage encoder_usage(int64_t tokens) {
  return Usage{.prompt_tokens = tokens, .completion_tokens = 0, .cached_tokens = 0, .reported = true};
}

}  // namespace anvil::gateway
