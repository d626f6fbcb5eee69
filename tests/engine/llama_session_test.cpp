// The forward pass's own consistency: a prompt evaluated in one batch, in several batches or one
// token at a time gives the same logits; the KV cache in f16 stays close to f32; errors for
// inputs that do not fit. Agreement with the PyTorch reference is llama_parity_test.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/llama_session.h"
#include "engine/llama_test_model.h"

namespace anvil::engine {
namespace {

using anvil::testing::TinyLlamaSpec;
using anvil::testing::tiny_llama;

const std::vector<int32_t> kTokens = {1, 17, 5, 33, 2, 39, 12, 0, 8, 21, 30, 3, 11, 25, 6, 19, 4};

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

std::unique_ptr<LlamaSession> session(const LlamaModel& model, int64_t n_batch, GgmlType kv,
                                      core::ThreadPool* pool, int64_t n_ctx = 0) {
  LlamaSessionOptions o;
  o.n_batch = n_batch;
  o.kv_type = kv;
  o.n_ctx = n_ctx;
  auto s = LlamaSession::create(model, o, pool);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return std::move(s).value();
}

class LlamaSessionArch : public ::testing::TestWithParam<std::string> {};

TEST_P(LlamaSessionArch, PrefillEqualsBatchesEqualsTokenByToken) {
  TinyLlamaSpec spec;
  spec.arch = GetParam();
  spec.tied = spec.arch == "qwen2";
  auto model = tiny_llama(spec);
  ASSERT_TRUE(model->ok()) << model->status.to_string();
  const int64_t n = static_cast<int64_t>(kTokens.size()), n_vocab = 40;
  core::ThreadPool pool(1);

  std::vector<float> one_batch;
  auto s1 = session(**model, 512, GgmlType::kF32, &pool);
  ASSERT_TRUE(s1->eval(kTokens, LogitsFor::kAll, &one_batch).ok());
  EXPECT_EQ(one_batch.size(), static_cast<size_t>(n * n_vocab));
  EXPECT_EQ(s1->n_past(), n);

  std::vector<float> batches;  // n_batch 5: batches of 5, 5, 5, 2
  auto s2 = session(**model, 5, GgmlType::kF32, nullptr);
  ASSERT_TRUE(s2->eval(kTokens, LogitsFor::kAll, &batches).ok());
  EXPECT_LT(max_abs_diff(one_batch, batches), 1e-5f);

  std::vector<float> stepwise, step;
  auto s3 = session(**model, 512, GgmlType::kF32, &pool);
  for (int32_t t : kTokens) {
    ASSERT_TRUE(s3->eval(std::span(&t, 1), LogitsFor::kLast, &step).ok());
    stepwise.insert(stepwise.end(), step.begin(), step.end());
  }
  EXPECT_LT(max_abs_diff(one_batch, stepwise), 1e-5f);

  // Last-token logits of a prefill are the last row of the all-positions logits.
  std::vector<float> last;
  auto s4 = session(**model, 4, GgmlType::kF32, &pool);
  ASSERT_TRUE(s4->eval(kTokens, LogitsFor::kLast, &last).ok());
  std::vector<float> last_row(one_batch.end() - n_vocab, one_batch.end());
  EXPECT_LT(max_abs_diff(last, last_row), 1e-5f);

  // The logits are not degenerate (the test could fail).
  float spread = 0;
  for (int64_t v = 1; v < n_vocab; ++v) spread = std::max(spread, std::abs(last[v] - last[0]));
  EXPECT_GT(spread, 0.1f);
}

INSTANTIATE_TEST_SUITE_P(Llama, LlamaSessionArch, ::testing::Values("llama", "qwen2"));

// Passes of more than 32 rows compute the feed-forward in slices of its hidden columns
// (LlamaForward::ffn_columns): 150 rows of n_ff 256 go through 8 slices of 32 columns, batches of
// 25 rows through all 256 at once. Same logits up to f32 summation order.
TEST(LlamaSession, LongPromptSlicedFeedForwardEqualsShortBatches) {
  TinyLlamaSpec spec;
  spec.arch = "qwen2";
  spec.n_ff = 256;
  spec.n_ctx = 256;
  auto model = tiny_llama(spec);
  ASSERT_TRUE(model->ok()) << model->status.to_string();
  std::vector<int32_t> tokens(150);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>((i * 7 + i / 5) % 40);
  core::ThreadPool pool(1);
  std::vector<float> sliced, whole;
  ASSERT_TRUE(session(**model, 512, GgmlType::kF32, &pool)->eval(tokens, LogitsFor::kAll, &sliced).ok());
  ASSERT_TRUE(session(**model, 25, GgmlType::kF32, &pool)->eval(tokens, LogitsFor::kAll, &whole).ok());
  ASSERT_EQ(sliced.size(), tokens.size() * 40);
  EXPECT_LT(max_abs_diff(sliced, whole), 1e-5f);
  float spread = 0;
  for (size_t i = 1; i < whole.size(); ++i) spread = std::max(spread, std::abs(whole[i] - whole[0]));
  EXPECT_GT(spread, 0.1f);
}

TEST(LlamaSession, F16CacheStaysCloseToF32) {
  auto model = tiny_llama();
  ASSERT_TRUE(model->ok());
  std::vector<float> a, b;
  ASSERT_TRUE(session(**model, 8, GgmlType::kF32, nullptr)->eval(kTokens, LogitsFor::kAll, &a).ok());
  ASSERT_TRUE(session(**model, 8, GgmlType::kF16, nullptr)->eval(kTokens, LogitsFor::kAll, &b).ok());
  const float d = max_abs_diff(a, b);
  EXPECT_LT(d, 2e-2f);
  EXPECT_GT(d, 0.0f);  // it is a different cache
}

TEST(LlamaSession, TruncateThenContinueReproducesLogits) {
  auto model = tiny_llama();
  ASSERT_TRUE(model->ok());
  auto s = session(**model, 512, GgmlType::kF32, nullptr);
  std::vector<float> full, again;
  ASSERT_TRUE(s->eval(kTokens, LogitsFor::kLast, &full).ok());
  s->truncate(10);
  EXPECT_EQ(s->n_past(), 10);
  ASSERT_TRUE(s->eval(std::span(kTokens).subspan(10), LogitsFor::kLast, &again).ok());
  EXPECT_LT(max_abs_diff(full, again), 1e-5f);
  s->reset();
  EXPECT_EQ(s->n_past(), 0);
}

TEST(LlamaSession, RopeScalingChangesLogitsOnlyAfterPositionZero) {
  TinyLlamaSpec spec;
  auto plain = tiny_llama(spec);
  spec.rope_scaling = "linear";
  spec.rope_factor = 2.0;
  auto scaled = tiny_llama(spec);
  ASSERT_TRUE(plain->ok() && scaled->ok());
  std::vector<float> a, b;
  ASSERT_TRUE(session(**plain, 512, GgmlType::kF32, nullptr)->eval(kTokens, LogitsFor::kAll, &a).ok());
  ASSERT_TRUE(session(**scaled, 512, GgmlType::kF32, nullptr)->eval(kTokens, LogitsFor::kAll, &b).ok());
  std::vector<float> a0(a.begin(), a.begin() + 40), b0(b.begin(), b.begin() + 40);
  EXPECT_LT(max_abs_diff(a0, b0), 1e-6f);  // position 0 has angle 0 either way
  EXPECT_GT(max_abs_diff(a, b), 1e-3f);
}

TEST(LlamaSession, RopeFrequencyFactorsChangeLogitsAfterPositionZero) {
  TinyLlamaSpec spec;
  auto plain = tiny_llama(spec);
  spec.rope_freqs = true;
  auto factored = tiny_llama(spec);  // same seed: the other weights draw the same values first
  ASSERT_TRUE(plain->ok() && factored->ok());
  std::vector<float> a, b;
  ASSERT_TRUE(session(**plain, 512, GgmlType::kF32, nullptr)->eval(kTokens, LogitsFor::kAll, &a).ok());
  ASSERT_TRUE(session(**factored, 512, GgmlType::kF32, nullptr)->eval(kTokens, LogitsFor::kAll, &b).ok());
  std::vector<float> a0(a.begin(), a.begin() + 40), b0(b.begin(), b.begin() + 40);
  EXPECT_LT(max_abs_diff(a0, b0), 1e-6f);
  EXPECT_GT(max_abs_diff(a, b), 1e-3f);
}

TEST(LlamaSession, GoldenErrors) {
  auto model = tiny_llama();
  ASSERT_TRUE(model->ok());
  auto s = session(**model, 512, GgmlType::kF32, nullptr, 16);
  EXPECT_EQ(s->n_ctx(), 16);
  std::vector<float> logits;
  EXPECT_EQ(s->eval(kTokens, LogitsFor::kLast, &logits).message(),
            "cannot evaluate 17 tokens at position 0: the context holds 16 positions");
  EXPECT_EQ(s->n_past(), 0);
  const std::vector<int32_t> bad = {3, 40};
  EXPECT_EQ(s->eval(bad, LogitsFor::kLast, &logits).message(),
            "token id 40 is out of range: the vocabulary has 40 tokens");
  EXPECT_EQ(s->eval({}, LogitsFor::kLast, &logits).message(), "no tokens to evaluate");
  EXPECT_EQ(s->n_past(), 0);

  auto defaults = session(**model, 512, GgmlType::kF16, nullptr);
  EXPECT_EQ(defaults->n_ctx(), 64);  // the model's training context
}

}  // namespace
}  // namespace anvil::engine
