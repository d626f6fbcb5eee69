// Continuous batching: sequences generated together in shared forward passes (with prefill
// chunks mixed into decode passes) produce exactly what each would alone; cancellation, limits
// and shutdown.
#include "anvil/engine/batch_scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <map>

#include "anvil/core/thread_pool.h"
#include "engine/llama_test_model.h"
#include "engine/tiny_spm_vocab.h"

namespace anvil::engine {
namespace {

using anvil::testing::greedy;

using anvil::testing::tiny_spm_vocab;

class BatchSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    anvil::testing::TinyLlamaSpec spec;
    spec.n_vocab = anvil::testing::kTinySpmVocabSize;
    spec.n_ctx = 64;
    spec.seed = 11;
    model_ = anvil::testing::tiny_llama(spec);
    ASSERT_TRUE(model_->ok()) << model_->status.to_string();
    auto tok = text::Tokenizer::create(tiny_spm_vocab());
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    tokenizer_ = std::move(tok).value();
  }

  std::unique_ptr<BatchScheduler> scheduler(int64_t max_sequences, int64_t n_batch, int64_t max_waiting = 64) {
    BatchSchedulerOptions o;
    o.max_sequences = max_sequences;
    o.n_batch = n_batch;
    o.max_waiting = max_waiting;
    o.kv_type = GgmlType::kF32;
    auto s = BatchScheduler::create(**model_, *tokenizer_, o, &pool_);
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    return std::move(s).value();
  }

  // What one sequence generates alone, through Generator.
  GenerateResult alone(const std::vector<int32_t>& prompt, const GenerateOptions& options) {
    LlamaSessionOptions o;
    o.kv_type = GgmlType::kF32;
    auto session = LlamaSession::create(**model_, o, &pool_);
    EXPECT_TRUE(session.ok());
    auto r = Generator(**session, *tokenizer_).generate(prompt, options);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return std::move(r).value();
  }

  struct Pending {
    std::promise<core::Result<GenerateResult>> done;
    std::string streamed;
  };

  // Submits a job whose result lands in `p`.
  static core::Result<uint64_t> submit(BatchScheduler& s, std::vector<int32_t> prompt, GenerateOptions o,
                                       Pending& p, std::function<bool(const std::string&)> keep_going = {}) {
    GenerationJob job;
    job.prompt = std::move(prompt);
    job.options = std::move(o);
    job.on_text = [&p, keep_going](std::string_view piece) {
      p.streamed += piece;
      return !keep_going || keep_going(p.streamed);
    };
    job.on_done = [&p](core::Result<GenerateResult> r) { p.done.set_value(std::move(r)); };
    return s.submit(std::move(job));
  }

  std::unique_ptr<anvil::testing::TinyLlama> model_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  core::ThreadPool pool_{1};
};

std::vector<std::vector<int32_t>> prompts() {
  return {{1, 259, 260, 261, 262},
          {1, 263, 264},
          {1, 260, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 270},
          {1, 70, 80, 90},
          {1, 265},
          {1, 262, 261, 260, 259, 262, 261}};
}

TEST_F(BatchSchedulerTest, ConcurrentSequencesMatchGeneratingAlone) {
  // 4 slots for 6 requests, 8 tokens per pass: prompts are split into chunks that share passes
  // with other sequences' decode tokens, and two requests wait for a free slot.
  auto s = scheduler(4, 8);
  const auto ps = prompts();
  std::vector<Pending> pending(ps.size());
  for (size_t i = 0; i < ps.size(); ++i) {
    ASSERT_TRUE(submit(*s, ps[i], greedy(12), pending[i]).ok());
  }
  uint64_t expected_tokens = 0;
  for (size_t i = 0; i < ps.size(); ++i) {
    auto r = pending[i].done.get_future().get();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const GenerateResult expect = alone(ps[i], greedy(12));
    EXPECT_EQ(r->tokens, expect.tokens) << "request " << i;
    EXPECT_EQ(r->text, expect.text);
    EXPECT_EQ(pending[i].streamed, r->text);
    EXPECT_EQ(r->finish, expect.finish);
    EXPECT_EQ(r->timings.prompt_tokens, static_cast<int64_t>(ps[i].size()));
    EXPECT_EQ(r->timings.generated_tokens, static_cast<int64_t>(expect.tokens.size()));
    // Every token is evaluated once: the prompt in full, then each generated token but the last.
    expected_tokens += ps[i].size() + r->tokens.size() - 1;
  }
  const BatchScheduler::Stats st = s->stats();
  EXPECT_GT(st.max_rows, 1);  // passes really held several sequences
  EXPECT_LE(st.max_rows, 8);
  EXPECT_EQ(st.tokens, expected_tokens);
  EXPECT_LT(st.passes, expected_tokens);
}

TEST_F(BatchSchedulerTest, SeededSamplingMatchesGeneratingAlone) {
  auto s = scheduler(3, 16);
  GenerateOptions o = greedy(15);
  o.sampling.temperature = 1.2f;
  o.sampling.top_k = 0;
  o.sampling.seed = 7;
  const auto ps = prompts();
  std::vector<Pending> pending(3);
  for (size_t i = 0; i < 3; ++i) ASSERT_TRUE(submit(*s, ps[i], o, pending[i]).ok());
  for (size_t i = 0; i < 3; ++i) {
    auto r = pending[i].done.get_future().get();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->tokens, alone(ps[i], o).tokens) << "request " << i;
  }
}

TEST_F(BatchSchedulerTest, StopStringsAndEndOfContext) {
  auto s = scheduler(2, 8);
  const auto ps = prompts();
  const GenerateResult free_run = alone(ps[0], greedy(12));
  // Stop at the first ASCII letter the free run produced (the rest may be U+FFFD from stray
  // byte tokens of the random model).
  const auto letter = std::find_if(free_run.text.begin(), free_run.text.end(),
                                   [](char ch) { return ch >= 'a' && ch <= 'z'; });
  ASSERT_NE(letter, free_run.text.end()) << free_run.text;
  GenerateOptions stop = greedy(12);
  stop.stop = {std::string(1, *letter)};
  Pending a, b;
  ASSERT_TRUE(submit(*s, ps[0], stop, a).ok());
  // No limit but the context: 64 positions.
  ASSERT_TRUE(submit(*s, ps[1], greedy(0), b).ok());
  auto ra = a.done.get_future().get();
  ASSERT_TRUE(ra.ok());
  EXPECT_EQ(ra->finish, FinishReason::kStop);
  EXPECT_EQ(ra->text, alone(ps[0], stop).text);
  auto rb = b.done.get_future().get();
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(rb->finish, FinishReason::kContext);
  EXPECT_EQ(static_cast<int64_t>(ps[1].size() + rb->tokens.size()), 64 + 1);
}

TEST_F(BatchSchedulerTest, CancelledByTheCallbackOrById) {
  auto s = scheduler(1, 8);
  const auto ps = prompts();
  Pending running, queued;
  // The running job holds the only slot and blocks in its first callback until the queued job
  // has been cancelled; then it stops itself once it has streamed 3 bytes.
  std::promise<void> queued_cancelled;
  std::shared_future<void> gate = queued_cancelled.get_future().share();
  ASSERT_TRUE(submit(*s, ps[0], greedy(0), running, [gate](const std::string& text) {
                gate.wait();
                return text.size() < 3;
              }).ok());
  auto id = submit(*s, ps[1], greedy(5), queued);
  ASSERT_TRUE(id.ok());
  s->cancel(*id);
  queued_cancelled.set_value();
  auto rq = queued.done.get_future().get();
  ASSERT_TRUE(rq.ok());
  EXPECT_EQ(rq->finish, FinishReason::kCancelled);
  EXPECT_TRUE(rq->tokens.empty());
  auto rr = running.done.get_future().get();
  ASSERT_TRUE(rr.ok());
  EXPECT_EQ(rr->finish, FinishReason::kCancelled);
  EXPECT_GE(rr->text.size(), 3u);
}

TEST_F(BatchSchedulerTest, RefusesWhatCannotRun) {
  auto s = scheduler(1, 8, /*max_waiting=*/0);
  Pending p;
  auto empty = submit(*s, {}, greedy(3), p);
  EXPECT_EQ(empty.status().message(), "the prompt is empty");
  auto too_long = submit(*s, std::vector<int32_t>(65, 259), greedy(3), p);
  EXPECT_EQ(too_long.status().message(), "prompt has 65 tokens, the context holds 64");
  auto bad_id = submit(*s, {1, 100000}, greedy(3), p);
  EXPECT_EQ(bad_id.status().message(), "token id 100000 is out of range: the vocabulary has 271 tokens");
  GenerateOptions bad = greedy(3);
  bad.sampling.top_p = 2.0f;
  EXPECT_FALSE(submit(*s, {1, 259}, bad, p).ok());
}

TEST_F(BatchSchedulerTest, ShutdownFinishesEveryJob) {
  const auto ps = prompts();
  std::vector<Pending> pending(ps.size());
  {
    auto s = scheduler(2, 8);
    for (size_t i = 0; i < ps.size(); ++i) ASSERT_TRUE(submit(*s, ps[i], greedy(0), pending[i]).ok());
  }
  for (auto& p : pending) {
    auto r = p.done.get_future().get();  // every on_done ran before the destructor returned
    ASSERT_TRUE(r.ok());
  }
}

}  // namespace
}  // namespace anvil::engine
