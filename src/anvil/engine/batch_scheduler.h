// Continuous batching: many generation requests share one model. A scheduler thread runs forward
// passes that hold one decode token of every active sequence plus prefill chunks of newly
// admitted ones (up to n_batch tokens), so a new request starts without waiting for the others
// to finish and every pass over the weights serves them all. Algorithm: docs/ENGINE.md.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/engine/generator.h"
#include "anvil/engine/kv_cache.h"
#include "anvil/engine/llama_forward.h"
#include "anvil/engine/llama_model.h"
#include "anvil/text/tokenizer.h"

namespace anvil::engine {

struct BatchSchedulerOptions {
  int64_t max_sequences = 8;  // sequences generating at once; each owns a KV cache of n_ctx
  int64_t n_ctx = 0;          // positions per sequence; 0 = the model's training context
  int64_t n_batch = 512;      // most tokens in one forward pass; prefill fills what decode leaves
  int64_t max_waiting = 256;  // submissions queued beyond the active ones; more are refused
  GgmlType kv_type = GgmlType::kF16;
};

struct GenerationJob {
  std::vector<int32_t> prompt;
  GenerateOptions options;
  // Both run on the scheduler thread and must return quickly (hand the work to another thread).
  // on_text returning false cancels the sequence; on_done is called exactly once per accepted job.
  TextCallback on_text;
  std::function<void(core::Result<GenerateResult>)> on_done;
};

class BatchScheduler {
 public:
  // The model, tokenizer and pool must outlive the scheduler; pool may be null (one thread).
  static core::Result<std::unique_ptr<BatchScheduler>> create(const LlamaModel& model,
                                                              const text::Tokenizer& tokenizer,
                                                              const BatchSchedulerOptions& options,
                                                              core::ThreadPool* pool);
  // Cancels what is still queued or running (their on_done receive FinishReason::kCancelled
  // results) and joins the thread.
  ~BatchScheduler();
  BatchScheduler(const BatchScheduler&) = delete;
  BatchScheduler& operator=(const BatchScheduler&) = delete;

  // Queues a job and returns its id. Refused at once, without calling on_done: an empty prompt,
  // a prompt that does not fit n_ctx ("prompt has 5000 tokens, the context holds 4096"), bad
  // sampler parameters, a full queue (kResourceExhausted). Thread-safe.
  core::Result<uint64_t> submit(GenerationJob job);

  // Stops a job (queued or running); its on_done receives what it generated so far, with
  // FinishReason::kCancelled. Unknown or finished ids are ignored. Thread-safe.
  void cancel(uint64_t id);

  struct Stats {
    int64_t active = 0;        // sequences in the batch
    int64_t waiting = 0;       // queued for a free slot
    uint64_t passes = 0;       // forward passes run
    uint64_t tokens = 0;       // tokens evaluated over all passes
    int64_t max_rows = 0;      // the most tokens one pass held
  };
  Stats stats() const;
  int64_t n_ctx() const { return n_ctx_; }

 private:
  struct Sequence;
  BatchScheduler(const LlamaModel& model, const text::Tokenizer& tokenizer,
                 const BatchSchedulerOptions& options, core::ThreadPool* pool);
  void run();                   // the scheduler thread
  void admit_locked();          // waiting -> free slots
  void step();                  // one forward pass and what follows it
  void finish(Sequence& s, std::optional<FinishReason> reason);

  const LlamaModel& model_;
  const text::Tokenizer& tokenizer_;
  BatchSchedulerOptions options_;
  int64_t n_ctx_ = 0;
  LlamaForward forward_;
  std::vector<std::unique_ptr<KvCache>> caches_;  // one per slot, created when first needed

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  uint64_t next_id_ = 1;
  std::deque<std::unique_ptr<Sequence>> waiting_;
  std::vector<uint64_t> cancelled_;
  Stats stats_;

  // Owned by the scheduler thread.
  std::vector<std::unique_ptr<Sequence>> active_;
  std::vector<int> free_slots_;
  std::vector<float> logits_;
  std::thread thread_;
};

}  // namespace anvil::engine
