// Parity of the llama-family engine with the PyTorch reference (tests/engine/reference/reference.py,
// float64) on synthetic models of each architecture: logits of every position for each weight type,
// greedy generation token for token, and one-batch prefill against token-by-token decode.
// Tolerances (docs/ENGINE.md): relative to the logit scale max(1, max |reference logit|).
#include <gtest/gtest.h>

#include <cmath>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/generator.h"
#include "anvil/engine/gguf_vocab.h"
#include "anvil/engine/llama_session.h"
#include "anvil/engine/quantize_model.h"
#include "engine/reference_runner.h"

namespace anvil::engine {
namespace {

namespace t = anvil::testing;

// A fixed sequence, valid in every preset's vocabulary (the smallest has 32000 tokens); id 1 is
// <s> in the SentencePiece vocabulary and "\"" in gpt-2's.
const std::vector<int32_t> kTokens = {1,     450,  4996, 17354, 1701, 29916, 432,  17204, 975,
                                      278,   17366, 11203, 29889, 13,  1576, 3681,  338,  263,
                                      4382,  297,  3444,  29889, 512, 31000, 7,    2000,  30000, 9};

struct Error {
  double max_abs = 0;
  double scale = 1;  // max(1, max |reference|)
  int argmax_mismatches = 0;
  // Rows where the engine's top token is worse, by the reference's logits, than the reference's
  // top token by more than the tolerance allows: a real wrong decision, not a near tie.
  int clear_mismatches = 0;
  double relative() const { return max_abs / scale; }
};

Error compare_logits(const std::vector<float>& got, const std::vector<float>& ref, int64_t n_vocab,
                     double tolerance) {
  Error e;
  EXPECT_EQ(got.size(), ref.size());
  for (float r : ref) e.scale = std::max(e.scale, std::abs(static_cast<double>(r)));
  for (size_t i = 0; i < std::min(got.size(), ref.size()); ++i) {
    e.max_abs = std::max(e.max_abs, std::abs(static_cast<double>(got[i]) - ref[i]));
  }
  for (size_t row = 0; row * n_vocab < std::min(got.size(), ref.size()); ++row) {
    auto g = got.begin() + static_cast<std::ptrdiff_t>(row * n_vocab);
    auto r = ref.begin() + static_cast<std::ptrdiff_t>(row * n_vocab);
    const auto gi = std::max_element(g, g + n_vocab) - g, ri = std::max_element(r, r + n_vocab) - r;
    if (gi == ri) continue;
    ++e.argmax_mismatches;
    if (r[ri] - r[gi] > 2 * tolerance * e.scale) ++e.clear_mismatches;
  }
  return e;
}

struct Loaded {
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<LlamaSession> session;
};

Loaded load(const std::filesystem::path& path, core::ThreadPool* pool, int64_t n_batch = 512) {
  Loaded l;
  auto m = LlamaModel::open(path);
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  if (!m.ok()) return l;
  l.model = std::move(m).value();
  LlamaSessionOptions o;
  o.kv_type = GgmlType::kF32;
  o.n_batch = n_batch;
  auto s = LlamaSession::create(*l.model, o, pool);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  if (s.ok()) l.session = std::move(s).value();
  return l;
}

// The model file for `type`: written by make_test_model.py for float types, by Anvil's
// quantizer (llama.cpp's recipes) from the f32 file for q8_0, q4_0 and q4_k_m.
core::Result<std::filesystem::path> model_file(const std::string& preset, const std::string& type) {
  if (type == "f32" || type == "f16" || type == "bf16") return t::test_model(preset, type);
  ANVIL_ASSIGN_OR_RETURN(auto f32, t::test_model(preset, "f32"));
  const auto out = t::reference_work_dir() / (preset + "-" + type + ".gguf");
  if (!std::filesystem::exists(out)) {
    ANVIL_ASSIGN_OR_RETURN(auto in, GgufFile::open(f32));
    QuantizeOptions o;
    o.target = *quantize_target_from_name(type);
    o.threads = 1;
    ANVIL_RETURN_IF_ERROR(quantize_model(*in, out, o).status());
  }
  return out;
}

struct ParityCase {
  std::string preset;
  std::string type;
  // On Error::relative(), for prefill (all tokens in one batch). Quantized weights: the kernels
  // round activations to 8 bits (docs/QUANTIZATION.md), which bounds the agreement.
  double tolerance;
  double decode_tolerance;  // the same, one token at a time
};

std::string case_name(const ::testing::TestParamInfo<ParityCase>& info) {
  std::string s = info.param.preset + "_" + info.param.type;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

class LlamaParityLogits : public ::testing::TestWithParam<ParityCase> {};

TEST_P(LlamaParityLogits, EveryPositionMatchesTheReference) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  const ParityCase& c = GetParam();
  auto path = model_file(c.preset, c.type);
  ASSERT_TRUE(path.ok()) << path.status().to_string();
  core::ThreadPool pool(1);
  Loaded l = load(*path, &pool);
  ASSERT_TRUE(l.session);
  std::vector<float> logits;
  ASSERT_TRUE(l.session->eval(kTokens, LogitsFor::kAll, &logits).ok());
  auto ref = t::reference_logits(*path, kTokens);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  const Error e = compare_logits(logits, *ref, l.model->config().n_vocab, c.tolerance);
  std::printf("[ parity ] %s %s: max |diff| %.3g, logit scale %.3g, relative %.3g, argmax mismatches %d/%zu\n",
              c.preset.c_str(), c.type.c_str(), e.max_abs, e.scale, e.relative(), e.argmax_mismatches,
              kTokens.size());
  EXPECT_LE(e.relative(), c.tolerance);
  EXPECT_EQ(e.clear_mismatches, 0);

  // Decoding one token at a time takes the single-token kernels (for quantized weights:
  // activations rounded to 8 bits, integer dot products): the path generation uses.
  Loaded steps = load(*path, &pool);
  ASSERT_TRUE(steps.session);
  std::vector<float> stepwise, step;
  for (int32_t tok : kTokens) {
    ASSERT_TRUE(steps.session->eval(std::span(&tok, 1), LogitsFor::kLast, &step).ok());
    stepwise.insert(stepwise.end(), step.begin(), step.end());
  }
  const Error d = compare_logits(stepwise, *ref, l.model->config().n_vocab, c.decode_tolerance);
  std::printf("[ parity ] %s %s decode: max |diff| %.3g, relative %.3g, argmax mismatches %d/%zu\n",
              c.preset.c_str(), c.type.c_str(), d.max_abs, d.relative(), d.argmax_mismatches,
              kTokens.size());
  EXPECT_LE(d.relative(), c.decode_tolerance);
  EXPECT_EQ(d.clear_mismatches, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Llama, LlamaParityLogits,
    ::testing::Values(ParityCase{"tiny-llama", "f32", 1e-5, 1e-5},
                      ParityCase{"tiny-mistral", "f32", 1e-5, 1e-5},
                      ParityCase{"tiny-qwen2", "f32", 1e-5, 1e-5},
                      ParityCase{"tiny-llama", "f16", 1e-5, 1e-3},
                      ParityCase{"tiny-qwen2", "bf16", 1e-5, 1e-3},
                      ParityCase{"tiny-mistral", "q8_0", 3e-2, 3e-2},
                      ParityCase{"tiny-qwen2", "q8_0", 3e-2, 3e-2},
                      ParityCase{"tiny-llama", "q4_0", 3e-2, 3e-2},
                      ParityCase{"tiny-mistral", "q4_k_m", 3e-2, 3e-2}),
    case_name);

class LlamaParityGreedy : public ::testing::TestWithParam<std::string> {};

TEST_P(LlamaParityGreedy, ThirtyTwoTokensEqualTheReference) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto path = model_file(GetParam(), "f32");
  ASSERT_TRUE(path.ok()) << path.status().to_string();
  core::ThreadPool pool(1);
  Loaded l = load(*path, &pool);
  ASSERT_TRUE(l.session);
  auto tokenizer = load_tokenizer(l.model->file());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  const std::vector<int32_t> prompt(kTokens.begin(), kTokens.begin() + 6);
  Generator g(*l.session, **tokenizer);
  GenerateOptions o;
  o.sampling.temperature = 0;
  o.sampling.repeat_penalty = 1.0f;
  o.max_tokens = 32;
  o.ignore_eog = true;
  auto r = g.generate(prompt, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto ref = t::reference_generate(*path, prompt, 32);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  ASSERT_EQ(r->tokens.size(), 32u);
  double min_margin = 1e9;
  for (size_t i = 0; i < 32; ++i) {
    min_margin = std::min(min_margin, (*ref)[i].margin);
    ASSERT_EQ(r->tokens[i], (*ref)[i].token) << "step " << i << ", reference margin " << (*ref)[i].margin;
  }
  std::printf("[ parity ] %s greedy 32 tokens equal; smallest reference margin %.3g\n",
              GetParam().c_str(), min_margin);
}

INSTANTIATE_TEST_SUITE_P(Llama, LlamaParityGreedy,
                         ::testing::Values("tiny-llama", "tiny-mistral", "tiny-qwen2"));

// Prefill in one batch, in batches of 5 and one token at a time give the same logits on the
// reference models (F32 and a quantized one, whose kernels differ between 1 and many tokens).
TEST(LlamaParity, PrefillEqualsTokenByTokenDecode) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  for (const char* type : {"f32", "q8_0"}) {
    auto path = model_file("tiny-qwen2", type);
    ASSERT_TRUE(path.ok()) << path.status().to_string();
    core::ThreadPool pool(1);
    Loaded one = load(*path, &pool);
    Loaded fives = load(*path, &pool, 5);
    Loaded steps = load(*path, &pool);
    ASSERT_TRUE(one.session && fives.session && steps.session);
    std::vector<float> a, b, c, step;
    ASSERT_TRUE(one.session->eval(kTokens, LogitsFor::kAll, &a).ok());
    ASSERT_TRUE(fives.session->eval(kTokens, LogitsFor::kAll, &b).ok());
    for (int32_t tok : kTokens) {
      ASSERT_TRUE(steps.session->eval(std::span(&tok, 1), LogitsFor::kLast, &step).ok());
      c.insert(c.end(), step.begin(), step.end());
    }
    const int64_t n_vocab = one.model->config().n_vocab;
    // F32 runs the same arithmetic either way. Quantized weights take different kernels for one
    // token (activations quantized to 8 bits, integer dot products) and for many (weights widened
    // to f32), so they agree only to the activation rounding, as llama.cpp's do.
    const double tol = std::string(type) == "f32" ? 1e-5 : 3e-2;
    const Error ab = compare_logits(b, a, n_vocab, tol), ac = compare_logits(c, a, n_vocab, tol);
    EXPECT_LE(ab.relative(), tol) << type;
    EXPECT_LE(ac.relative(), tol) << type;
    EXPECT_EQ(ac.clear_mismatches, 0) << type;
    std::printf("[ parity ] %s prefill vs decode: relative %.3g, argmax mismatches %d\n", type,
                ac.relative(), ac.argmax_mismatches);
  }
}

}  // namespace
}  // namespace anvil::engine
