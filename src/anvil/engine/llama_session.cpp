#include "anvil/engine/llama_session.h"

#include <algorithm>

#include <fmt/format.h>

namespace anvil::engine {

using core::Status;

core::Result<std::unique_ptr<LlamaSession>> LlamaSession::create(const LlamaModel& model,
                                                                 const LlamaSessionOptions& options,
                                                                 core::ThreadPool* pool) {
  const LlamaConfig& c = model.config();
  const int64_t n_ctx = options.n_ctx > 0 ? options.n_ctx : c.n_ctx_train;
  if (options.n_ctx < 0) {
    return Status::invalid_argument(fmt::format("context size must be positive, found {}", options.n_ctx));
  }
  if (options.n_batch <= 0) {
    return Status::invalid_argument(fmt::format("batch size must be positive, found {}", options.n_batch));
  }
  std::unique_ptr<LlamaSession> s(new LlamaSession(model, pool, options.profile));
  ANVIL_ASSIGN_OR_RETURN(s->cache_, KvCache::create(c.n_layer, n_ctx, c.kv_dim(), options.kv_type));
  s->n_batch_ = std::min(options.n_batch, n_ctx);
  return s;
}

void LlamaSession::truncate(int64_t n) { n_past_ = std::clamp<int64_t>(n, 0, n_past_); }

Status LlamaSession::eval(std::span<const int32_t> tokens, LogitsFor which, std::vector<float>* logits) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t n_vocab = model().config().n_vocab;
  if (n == 0) return Status::invalid_argument("no tokens to evaluate");
  if (n_past_ + n > n_ctx()) {
    return Status::invalid_argument(fmt::format(
        "cannot evaluate {} tokens at position {}: the context holds {} positions", n, n_past_, n_ctx()));
  }
  for (int32_t id : tokens) {
    if (id < 0 || id >= n_vocab) {
      return Status::invalid_argument(fmt::format(
          "token id {} is out of range: the vocabulary has {} tokens", id, n_vocab));
    }
  }
  float* out = nullptr;
  if (logits && which != LogitsFor::kNone) {
    logits->resize(static_cast<size_t>((which == LogitsFor::kAll ? n : 1) * n_vocab));
    out = logits->data();
  }
  for (int64_t b = 0; b < n; b += n_batch_) {
    const int64_t nb = std::min(n_batch_, n - b);
    const bool last_batch = b + nb == n;
    SequenceBatch batch{cache_.get(), n_past_, tokens.subspan(static_cast<size_t>(b), static_cast<size_t>(nb)),
                        LogitsFor::kNone};
    float* batch_logits = nullptr;
    if (out && which == LogitsFor::kAll) {
      batch.logits = LogitsFor::kAll;
      batch_logits = out + b * n_vocab;
    } else if (out && last_batch) {
      batch.logits = LogitsFor::kLast;
      batch_logits = out;
    }
    forward_.run(std::span(&batch, 1), batch_logits);
    n_past_ += nb;
  }
  return Status::ok_status();
}

}  // namespace anvil::engine
