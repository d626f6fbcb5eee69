#include "anvil/engine/batch_scheduler.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "anvil/engine/sequence_decoder.h"

namespace anvil::engine {

using core::Status;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

struct BatchScheduler::Sequence {
  uint64_t id = 0;
  GenerationJob job;
  std::optional<SequenceDecoder> decoder;
  int slot = -1;
  int64_t n_past = 0;        // positions of this sequence in its slot's cache
  size_t prompt_done = 0;    // prompt tokens evaluated so far
  int32_t next_token = 0;    // sampled, to be evaluated in the next pass
  bool cancelled = false;
  bool done = false;
  Clock::time_point admitted;
  Clock::time_point first_token;

  bool prefilling() const { return prompt_done < job.prompt.size(); }
};

core::Result<std::unique_ptr<BatchScheduler>> BatchScheduler::create(
    const LlamaModel& model, const text::Tokenizer& tokenizer, const BatchSchedulerOptions& options,
    core::ThreadPool* pool) {
  if (options.max_sequences <= 0 || options.n_batch <= 0 || options.n_ctx < 0 || options.max_waiting < 0) {
    return Status::invalid_argument(fmt::format(
        "batch scheduler: expected max_sequences > 0, n_batch > 0, n_ctx >= 0 and max_waiting >= 0, "
        "found {}, {}, {} and {}",
        options.max_sequences, options.n_batch, options.n_ctx, options.max_waiting));
  }
  if (options.kv_type != GgmlType::kF16 && options.kv_type != GgmlType::kF32) {
    return Status::invalid_argument("batch scheduler: the KV cache type must be f16 or f32");
  }
  std::unique_ptr<BatchScheduler> s(new BatchScheduler(model, tokenizer, options, pool));
  s->thread_ = std::thread([p = s.get()] { p->run(); });
  return s;
}

BatchScheduler::BatchScheduler(const LlamaModel& model, const text::Tokenizer& tokenizer,
                               const BatchSchedulerOptions& options, core::ThreadPool* pool)
    : model_(model), tokenizer_(tokenizer), options_(options),
      n_ctx_(options.n_ctx > 0 ? options.n_ctx : model.config().n_ctx_train), forward_(model, pool) {
  caches_.resize(static_cast<size_t>(options.max_sequences));
  for (int slot = static_cast<int>(options.max_sequences) - 1; slot >= 0; --slot) free_slots_.push_back(slot);
}

BatchScheduler::~BatchScheduler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

core::Result<uint64_t> BatchScheduler::submit(GenerationJob job) {
  const auto n_prompt = static_cast<int64_t>(job.prompt.size());
  if (n_prompt == 0) return Status::invalid_argument("the prompt is empty");
  if (n_prompt > n_ctx_) {
    return Status::invalid_argument(fmt::format("prompt has {} tokens, the context holds {}", n_prompt, n_ctx_));
  }
  const int64_t n_vocab = model_.config().n_vocab;
  for (int32_t id : job.prompt) {
    if (id < 0 || id >= n_vocab) {
      return Status::invalid_argument(fmt::format(
          "token id {} is out of range: the vocabulary has {} tokens", id, n_vocab));
    }
  }
  auto seq = std::make_unique<Sequence>();
  ANVIL_ASSIGN_OR_RETURN(SequenceDecoder decoder, SequenceDecoder::create(tokenizer_, job.options, job.prompt));
  seq->decoder.emplace(std::move(decoder));
  seq->job = std::move(job);
  uint64_t id = 0;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::unavailable("the batch scheduler is shutting down");
    const auto free = static_cast<int64_t>(free_slots_.size());
    if (static_cast<int64_t>(waiting_.size()) >= options_.max_waiting + free) {
      return Status::resource_exhausted(fmt::format(
          "the generation queue is full ({} waiting, {} generating)", waiting_.size(), options_.max_sequences));
    }
    id = next_id_++;
    seq->id = id;
    waiting_.push_back(std::move(seq));
    stats_.waiting = static_cast<int64_t>(waiting_.size());
  }
  wake_.notify_one();
  return id;
}

void BatchScheduler::cancel(uint64_t id) {
  {
    std::lock_guard lock(mu_);
    cancelled_.push_back(id);
  }
  wake_.notify_one();
}

BatchScheduler::Stats BatchScheduler::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void BatchScheduler::admit_locked() {
  while (!free_slots_.empty() && !waiting_.empty()) {
    std::unique_ptr<Sequence> s = std::move(waiting_.front());
    waiting_.pop_front();
    s->slot = free_slots_.back();
    free_slots_.pop_back();
    s->admitted = Clock::now();
    active_.push_back(std::move(s));
  }
}

void BatchScheduler::finish(Sequence& s, std::optional<FinishReason> reason) {
  if (s.done) return;
  s.done = true;
  // A reason from outside the decoder (cancelled, context full) still has to reach it; one the
  // decoder found itself is already recorded.
  if (reason) s.decoder->finish(*reason, s.job.on_text);
  GenerateResult& r = s.decoder->result();
  const Clock::time_point now = Clock::now();
  r.timings.prompt_tokens = static_cast<int64_t>(s.prompt_done);
  r.timings.generated_tokens = static_cast<int64_t>(r.tokens.size());
  if (s.first_token != Clock::time_point{}) {
    r.timings.prompt_seconds = seconds_between(s.admitted, s.first_token);
    r.timings.generation_seconds = seconds_between(s.first_token, now);
  }
  if (s.job.on_done) s.job.on_done(std::move(r));
}

void BatchScheduler::run() {
  for (;;) {
    std::vector<std::unique_ptr<Sequence>> dropped;  // cancelled before they were admitted
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !waiting_.empty() || !active_.empty() || !cancelled_.empty(); });
      stopping = stopping_;
      if (stopping) {
        for (auto& s : waiting_) dropped.push_back(std::move(s));
        waiting_.clear();
        for (auto& s : active_) s->cancelled = true;
      }
      for (uint64_t id : cancelled_) {
        auto w = std::find_if(waiting_.begin(), waiting_.end(), [&](const auto& s) { return s->id == id; });
        if (w != waiting_.end()) {
          dropped.push_back(std::move(*w));
          waiting_.erase(w);
          continue;
        }
        for (auto& s : active_) {
          if (s->id == id) s->cancelled = true;
        }
      }
      cancelled_.clear();
      admit_locked();
      stats_.active = static_cast<int64_t>(active_.size());
      stats_.waiting = static_cast<int64_t>(waiting_.size());
    }
    for (auto& s : dropped) finish(*s, FinishReason::kCancelled);
    for (auto& s : active_) {
      if (s->cancelled) finish(*s, FinishReason::kCancelled);
    }
    if (!stopping) step();
    // Finished sequences give their slots back.
    std::lock_guard lock(mu_);
    std::erase_if(active_, [&](const std::unique_ptr<Sequence>& s) {
      if (s->done) free_slots_.push_back(s->slot);
      return s->done;
    });
    stats_.active = static_cast<int64_t>(active_.size());
    if (stopping && active_.empty()) return;
  }
}

void BatchScheduler::step() {
  const LlamaConfig& c = model_.config();
  std::vector<SequenceBatch> batch;
  std::vector<Sequence*> members;      // batch[i] belongs to members[i]
  std::vector<Sequence*> with_logits;  // in the order of the logits rows
  // Decode tokens first (one per generating sequence: they must not starve), then prefill chunks
  // in arrival order from what is left of the pass's token budget.
  int64_t budget = options_.n_batch;
  for (auto& s : active_) {
    if (s->done || s->prefilling()) continue;
    batch.push_back({caches_[static_cast<size_t>(s->slot)].get(), s->n_past,
                     std::span(&s->next_token, 1), LogitsFor::kLast});
    members.push_back(s.get());
    with_logits.push_back(s.get());
    --budget;
  }
  for (auto& s : active_) {
    if (s->done || !s->prefilling() || budget <= 0) continue;
    std::unique_ptr<KvCache>& cache = caches_[static_cast<size_t>(s->slot)];
    if (!cache) {
      auto created = KvCache::create(c.n_layer, n_ctx_, c.kv_dim(), options_.kv_type);
      if (!created.ok()) {
        if (s->job.on_done) s->job.on_done(created.status());
        s->done = true;
        continue;
      }
      cache = std::move(created).value();
    }
    const size_t remaining = s->job.prompt.size() - s->prompt_done;
    const size_t chunk = std::min(remaining, static_cast<size_t>(budget));
    const bool last = chunk == remaining;
    batch.push_back({cache.get(), s->n_past, std::span(s->job.prompt).subspan(s->prompt_done, chunk),
                     last ? LogitsFor::kLast : LogitsFor::kNone});
    members.push_back(s.get());
    if (last) with_logits.push_back(s.get());
    budget -= static_cast<int64_t>(chunk);
  }
  if (batch.empty()) return;

  const auto n_vocab = static_cast<size_t>(c.n_vocab);
  logits_.resize(with_logits.size() * n_vocab);
  forward_.run(batch, logits_.data());
  int64_t rows = 0;
  for (const SequenceBatch& b : batch) rows += static_cast<int64_t>(b.tokens.size());
  {
    std::lock_guard lock(mu_);
    ++stats_.passes;
    stats_.tokens += static_cast<uint64_t>(rows);
    stats_.max_rows = std::max(stats_.max_rows, rows);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Sequence& s = *members[i];
    const auto n = static_cast<int64_t>(batch[i].tokens.size());
    if (s.prefilling()) s.prompt_done += static_cast<size_t>(n);
    s.n_past += n;
  }
  const Clock::time_point now = Clock::now();
  for (size_t k = 0; k < with_logits.size(); ++k) {
    Sequence& s = *with_logits[k];
    if (s.first_token == Clock::time_point{}) s.first_token = now;
    auto step = s.decoder->step(std::span(logits_.data() + k * n_vocab, n_vocab), s.job.on_text);
    if (!step.ok()) {
      s.done = true;
      if (s.job.on_done) s.job.on_done(step.status());
      continue;
    }
    if (step->finish) {
      finish(s, std::nullopt);
    } else if (s.n_past >= n_ctx_) {
      finish(s, FinishReason::kContext);
    } else {
      s.next_token = step->token;
    }
  }
}

}  // namespace anvil::engine
