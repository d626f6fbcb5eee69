// The generation loop on a tiny random model with a hand-made SentencePiece vocabulary: greedy
// determinism, each finish reason, stop strings, streaming, prompt-prefix reuse and errors.
#include "anvil/engine/generator.h"

#include <gtest/gtest.h>

#include <set>

#include "anvil/core/thread_pool.h"
#include "anvil/text/utf8.h"
#include "engine/llama_test_model.h"
#include "engine/tiny_spm_vocab.h"

namespace anvil::engine {
namespace {

using anvil::testing::greedy;

using anvil::testing::TinyLlamaSpec;
using anvil::testing::kTinySpmVocabSize;
using anvil::testing::tiny_spm_vocab;


class GeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TinyLlamaSpec spec;
    spec.n_vocab = kTinySpmVocabSize;
    spec.n_ctx = 48;
    spec.seed = 11;
    model_ = anvil::testing::tiny_llama(spec);
    ASSERT_TRUE(model_->ok()) << model_->status.to_string();
    auto tok = text::Tokenizer::create(tiny_spm_vocab());
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    tokenizer_ = std::move(tok).value();
  }

  std::unique_ptr<LlamaSession> session(int64_t n_ctx = 0) {
    LlamaSessionOptions o;
    o.n_ctx = n_ctx;
    o.kv_type = GgmlType::kF32;
    auto s = LlamaSession::create(**model_, o, &pool_);
    EXPECT_TRUE(s.ok());
    return std::move(s).value();
  }

  std::unique_ptr<anvil::testing::TinyLlama> model_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  core::ThreadPool pool_{1};
  const std::vector<int32_t> prompt_ = {1, 259, 260, 261, 262};
};

TEST_F(GeneratorTest, GreedyIsArgmaxOfTheSessionLogits) {
  auto s = session();
  Generator g(*s, *tokenizer_);
  auto r = g.generate(prompt_, greedy(10));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->finish, FinishReason::kLength);
  ASSERT_EQ(r->tokens.size(), 10u);
  EXPECT_EQ(r->timings.prompt_tokens, 5);
  EXPECT_EQ(r->timings.generated_tokens, 10);

  // The same by hand: argmax of the logits, fed back one token at a time.
  auto s2 = session();
  std::vector<float> logits;
  ASSERT_TRUE(s2->eval(prompt_, LogitsFor::kLast, &logits).ok());
  std::vector<int32_t> expect;
  for (int i = 0; i < 10; ++i) {
    const auto best = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    expect.push_back(best);
    ASSERT_TRUE(s2->eval(std::span(&best, 1), LogitsFor::kLast, &logits).ok());
  }
  EXPECT_EQ(r->tokens, expect);
  std::set<int32_t> distinct(expect.begin(), expect.end());
  EXPECT_GT(distinct.size(), 1u);  // the model is not stuck on one token
}

TEST_F(GeneratorTest, StreamedPiecesAreValidUtf8AndMakeTheText) {
  auto s = session();
  Generator g(*s, *tokenizer_);
  std::string streamed;
  int pieces = 0;
  GenerateOptions o = greedy(30);
  o.sampling.temperature = 1.5f;  // wander over byte tokens too
  o.sampling.top_k = 0;
  o.sampling.top_p = 1.0f;
  o.sampling.min_p = 0.0f;
  o.sampling.seed = 3;
  auto r = g.generate(prompt_, o, [&](std::string_view piece) {
    EXPECT_TRUE(text::is_valid_utf8(piece)) << piece;
    EXPECT_FALSE(piece.empty());
    streamed += piece;
    ++pieces;
    return true;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(streamed, r->text);
  EXPECT_GT(pieces, 0);
  // Same seed, same tokens.
  auto r2 = Generator(*session(), *tokenizer_).generate(prompt_, o);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r->tokens, r2->tokens);
}

TEST_F(GeneratorTest, EndOfGenerationToken) {
  auto s = session();
  auto first = Generator(*s, *tokenizer_).generate(prompt_, greedy(3));
  ASSERT_TRUE(first.ok());
  // Make the second greedy token the end-of-sequence token.
  const int32_t eos = first->tokens[1];
  ASSERT_NE(eos, first->tokens[0]);
  auto tok = text::Tokenizer::create(tiny_spm_vocab(eos));
  ASSERT_TRUE(tok.ok());
  Generator g(*s, **tok);
  auto r = g.generate(prompt_, greedy(10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish, FinishReason::kEog);
  EXPECT_EQ(r->tokens, (std::vector<int32_t>{first->tokens[0], eos}));
  EXPECT_EQ(r->text, (*tok)->token_to_piece(first->tokens[0], false));

  GenerateOptions past = greedy(3);
  past.ignore_eog = true;
  auto r2 = g.generate(prompt_, past);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->finish, FinishReason::kLength);
  EXPECT_EQ(r2->tokens, first->tokens);
}

TEST_F(GeneratorTest, StopStringEndsGenerationAndIsNotEmitted) {
  auto s = session();
  Generator g(*s, *tokenizer_);
  auto full = g.generate(prompt_, greedy(12));
  ASSERT_TRUE(full.ok());
  // The raw bytes the tokens decode to; stop at the first 2-code-point stretch of valid UTF-8
  // after the start that occurs nowhere earlier.
  std::string raw;
  for (int32_t t : full->tokens) raw += tokenizer_->token_to_piece(t, false);
  size_t cut = std::string::npos;
  std::string stop;
  for (size_t i = 1; i < raw.size() && cut == std::string::npos; ++i) {
    size_t pos = i;
    if (text::find_invalid_utf8(std::string_view(raw).substr(i, 8)).value_or(8) < 8) continue;
    text::decode_utf8(raw, pos);
    if (pos < raw.size()) text::decode_utf8(raw, pos);
    std::string candidate = raw.substr(i, pos - i);
    if (candidate.size() >= 2 && text::is_valid_utf8(candidate) && raw.find(candidate) == i) {
      cut = i;
      stop = candidate;
    }
  }
  if (cut == std::string::npos) GTEST_SKIP() << "no usable stop string in: " << full->text;
  std::string expect;  // the text before the stop, ill-formed bytes replaced as the generator does
  for (size_t pos = 0; pos < cut;) text::append_utf8(expect, text::decode_utf8(raw.substr(0, cut), pos));
  GenerateOptions o = greedy(12);
  o.stop = {"never appears", stop};
  std::string streamed;
  auto r = g.generate(prompt_, o, [&](std::string_view p) {
    streamed += p;
    return true;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish, FinishReason::kStop);
  EXPECT_EQ(r->stop_index, 1u);
  EXPECT_EQ(r->text, expect);
  EXPECT_EQ(streamed, r->text);
}

TEST_F(GeneratorTest, ContextEndAndCancel) {
  auto s = session(8);
  Generator g(*s, *tokenizer_);
  auto r = g.generate(prompt_, greedy(0));
  ASSERT_TRUE(r.ok());
  // 5 prompt positions + 3 generated tokens fill the 8 positions; a 4th token is sampled from the
  // last logits but cannot be evaluated.
  EXPECT_EQ(r->finish, FinishReason::kContext);
  EXPECT_EQ(r->tokens.size(), 4u);
  EXPECT_EQ(s->n_past(), 8);

  // A prompt that fills the context still gets one token, sampled from its last logits.
  const std::vector<int32_t> full = {1, 259, 260, 261, 262, 263, 264, 265};
  auto f = g.generate(full, greedy(0));
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f->finish, FinishReason::kContext);
  EXPECT_EQ(f->tokens.size(), 1u);

  int calls = 0;
  auto c = g.generate(prompt_, greedy(0), [&](std::string_view) { return ++calls < 2; });
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->finish, FinishReason::kCancelled);
  EXPECT_EQ(calls, 2);
}

TEST_F(GeneratorTest, ReusesTheCachedPrefix) {
  auto s = session();
  Generator g(*s, *tokenizer_);
  auto first = g.generate(prompt_, greedy(4));
  ASSERT_TRUE(first.ok());
  // The cache holds the prompt and the 3 generated tokens that were fed back.
  EXPECT_EQ(g.cached_tokens().size(), prompt_.size() + 3);
  std::vector<int32_t> longer = prompt_;
  longer.insert(longer.end(), first->tokens.begin(), first->tokens.end());
  longer.push_back(263);
  auto second = g.generate(longer, greedy(5));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->timings.cached_tokens, static_cast<int64_t>(prompt_.size() + 3));
  EXPECT_EQ(second->timings.prompt_tokens, 2);
  auto fresh = Generator(*session(), *tokenizer_).generate(longer, greedy(5));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(second->tokens, fresh->tokens);
  // The same prompt again: all but its last token come from the cache.
  auto again = g.generate(longer, greedy(5));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->timings.prompt_tokens, 1);
  EXPECT_EQ(again->tokens, fresh->tokens);
}

TEST_F(GeneratorTest, GoldenErrors) {
  auto s = session(8);
  Generator g(*s, *tokenizer_);
  const std::vector<int32_t> nine(9, 259);
  EXPECT_EQ(g.generate(nine, greedy(4)).status().message(), "prompt has 9 tokens, the context holds 8");
  EXPECT_EQ(g.generate({}, greedy(4)).status().message(), "the prompt is empty");
  GenerateOptions bad = greedy(4);
  bad.sampling.top_p = 1.5f;
  EXPECT_EQ(g.generate(prompt_, bad).status().message(), "top_p must be in [0, 1], got 1.5");
}

}  // namespace
}  // namespace anvil::engine
