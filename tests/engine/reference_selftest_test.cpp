// Tests of the parity-test plumbing: the PyTorch reference's own self-checks, and the C++ helpers
// in reference_runner.h that make models, run reference.py and read its outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/reference_runner.h"
#include "testing/temp_dir.h"

namespace anvil::testing {
namespace {

// The reference checks itself against independent NumPy loops (see reference_selftest.py).
TEST(ReferenceRunner, ReferenceSelfChecksPass) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto out = run_reference_script("reference.py", {"selftest"});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_NE(out.value().find("all reference self-checks passed"), std::string::npos) << out.value();
}

TEST(ReferenceRunner, LogitsOfATinyLlama) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto model = test_model("tiny-llama");
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto again = test_model("tiny-llama");  // cached: same file, not remade
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(model.value(), again.value());

  const std::vector<int32_t> tokens = {1, 450, 4996};
  auto logits = reference_logits(model.value(), tokens);
  ASSERT_TRUE(logits.ok()) << logits.status().message();
  const size_t n_vocab = 32000;  // ggml-vocab-llama-spm
  ASSERT_EQ(logits.value().size(), tokens.size() * n_vocab);
  double sum = 0, sum2 = 0;
  for (float v : logits.value()) {
    ASSERT_TRUE(std::isfinite(v));
    sum += v;
    sum2 += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(logits.value().size());
  const double stddev = std::sqrt(sum2 / n - (sum / n) * (sum / n));
  EXPECT_GT(stddev, 1.0) << "the presets spread logits (std ~3) so that greedy steps are not ties";

  // Layer 0 of `hidden` is the embedding rows of the tokens; all layers differ from it.
  auto embeddings = reference_hidden(model.value(), tokens, 0);
  auto last = reference_hidden(model.value(), tokens);
  ASSERT_TRUE(embeddings.ok()) << embeddings.status().message();
  ASSERT_TRUE(last.ok()) << last.status().message();
  ASSERT_EQ(embeddings.value().size(), tokens.size() * 64);
  ASSERT_EQ(last.value().size(), tokens.size() * 64);
  EXPECT_NE(embeddings.value(), last.value());
}

TEST(ReferenceRunner, GreedyStepsHaveIdsAndMargins) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto model = test_model("tiny-qwen2");
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto steps = reference_generate(model.value(), {15496, 11, 995}, 4);
  ASSERT_TRUE(steps.ok()) << steps.status().message();
  ASSERT_EQ(steps.value().size(), 4u);
  for (const auto& s : steps.value()) {
    EXPECT_GE(s.token, 0);
    EXPECT_LT(s.token, 50257 + 2);  // gpt-2 vocabulary plus <|im_start|>, <|im_end|>
    EXPECT_GE(s.margin, 0.0);
  }
}

TEST(ReferenceRunner, EmbeddingsAndRerankScores) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto bert = test_model("tiny-bert");
  ASSERT_TRUE(bert.ok()) << bert.status().message();
  auto emb = reference_embed(bert.value(), {{101, 7592, 2088, 102}, {101, 2023, 102}});
  ASSERT_TRUE(emb.ok()) << emb.status().message();
  ASSERT_EQ(emb.value().size(), 2u * 64);
  for (int s = 0; s < 2; ++s) {
    double norm2 = 0;
    for (int i = 0; i < 64; ++i) norm2 += static_cast<double>(emb.value()[s * 64 + i]) * emb.value()[s * 64 + i];
    EXPECT_NEAR(std::sqrt(norm2), 1.0, 1e-5);
  }

  auto reranker = test_model("tiny-reranker");
  ASSERT_TRUE(reranker.ok()) << reranker.status().message();
  auto scores = reference_rerank(reranker.value(), {{{7592}, {2088, 2003}}, {{2023}, {2003, 1037}}});
  ASSERT_TRUE(scores.ok()) << scores.status().message();
  ASSERT_EQ(scores.value().size(), 2u);
  EXPECT_TRUE(std::isfinite(scores.value()[0]) && std::isfinite(scores.value()[1]));
  EXPECT_NE(scores.value()[0], scores.value()[1]);
  // The same pairs given as full sequences score the same.
  auto same = reference_rerank_sequences(reranker.value(), {{101, 7592, 102, 2088, 2003, 102},
                                                            {101, 2023, 102, 2003, 1037, 102}});
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_EQ(same.value(), scores.value());
}

TEST(ReferenceRunner, ScriptErrorsCarryTheirMessage) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto model = test_model("tiny-llama");
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto bad = reference_logits(model.value(), {1, 99999});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("token ids must be in [0, 32000): got [99999]"),
            std::string::npos)
      << bad.status().message();

  auto preset = test_model("no-such-preset");
  ASSERT_FALSE(preset.ok());
  EXPECT_NE(preset.status().message().find("unknown preset 'no-such-preset'; expected one of tiny-llama"),
            std::string::npos)
      << preset.status().message();
}

TEST(ReferenceRunner, ReadF32FileChecksSizes) {
  TempDir dir;
  auto odd = dir.write("odd.f32", std::string(6, '\0'));
  auto r = read_f32_file(odd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), odd.string() + ": 6 bytes, expected a multiple of 4");

  const float values[2] = {1.5f, -2.0f};
  auto two = dir.write("two.f32", std::string(reinterpret_cast<const char*>(values), sizeof values));
  auto ok = read_f32_file(two, 2);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok.value(), (std::vector<float>{1.5f, -2.0f}));
  auto wrong = read_f32_file(two, 3);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), two.string() + ": expected 3 floats, found 2");

  auto missing = read_f32_file(dir / "missing.f32");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "cannot open " + (dir / "missing.f32").string());
}

TEST(ReferenceRunner, ShellQuoting) {
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  auto r = run_command({"printf", "%s|", "a b", "it's", "$HOME"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "a b|it's|$HOME|");
}

}  // namespace
}  // namespace anvil::testing
