// Parity of the BERT encoder with the PyTorch reference (tests/engine/reference/reference.py,
// float64) on synthetic models made by make_test_model.py: tiny-bert embeddings (mean, cls and
// last pooling) for token sequences of many lengths packed in one batch, in F32, F16 and Q8_0
// (the Q8_0 file made with quantize_model, the reference dequantizing the same stored values),
// batched == one-by-one, texts through Anvil's tokenizer, and tiny-reranker scores.
// Tolerances (docs/EMBEDDINGS.md): F32 and F16 vectors within 1e-5 per element (cosine
// >= 0.999999); Q8_0 cosine >= 0.999 (the kernels quantize activations to Q8); rerank scores
// within 1e-4 x max(1, |score|) in F32.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/engine/embedder.h"
#include "anvil/engine/gguf.h"
#include "anvil/engine/quantize_model.h"
#include "anvil/engine/reranker.h"
#include "engine/reference_runner.h"

namespace anvil::engine {
namespace {

namespace t = anvil::testing;

// [CLS] ... [SEP] sequences of bge ids, lengths 2 to 128 (the tiny models' context).
std::vector<std::vector<int32_t>> parity_sequences() {
  std::vector<std::vector<int32_t>> seqs = {
      {101, 102},
      {101, 7592, 2088, 102},                              // "hello world"
      {101, 1996, 4937, 2938, 2006, 1996, 13523, 1012, 102},  // "the cat sat on the mat."
  };
  std::mt19937 rng(5);
  std::uniform_int_distribution<int32_t> id(1000, 30000);
  for (int len : {17, 40, 128, 3, 64}) {
    std::vector<int32_t> s = {101};
    for (int i = 0; i < len - 2; ++i) s.push_back(id(rng));
    s.push_back(102);
    seqs.push_back(std::move(s));
  }
  return seqs;
}

EncoderBatch batch_of(const std::vector<std::vector<int32_t>>& seqs) {
  EncoderBatch b;
  for (const auto& s : seqs) b.add(s);
  return b;
}

struct Diff {
  double max_abs = 0;
  double min_cosine = 1;
};

// Rows of `dim` floats compared pairwise.
Diff compare_rows(const std::vector<float>& got, const std::vector<float>& want, int64_t dim) {
  Diff d;
  const auto n = static_cast<int64_t>(want.size()) / dim;
  for (int64_t r = 0; r < n; ++r) {
    double dot = 0, ng = 0, nw = 0;
    for (int64_t i = 0; i < dim; ++i) {
      const double g = got[static_cast<size_t>(r * dim + i)];
      const double w = want[static_cast<size_t>(r * dim + i)];
      d.max_abs = std::max(d.max_abs, std::fabs(g - w));
      dot += g * w;
      ng += g * g;
      nw += w * w;
    }
    d.min_cosine = std::min(d.min_cosine, dot / std::sqrt(ng * nw));
  }
  return d;
}

core::Result<std::filesystem::path> quantized(const std::filesystem::path& f32, const char* name) {
  auto out = t::reference_work_dir() / (f32.stem().string() + "-" + name + ".gguf");
  if (std::filesystem::exists(out)) return out;
  ANVIL_ASSIGN_OR_RETURN(auto in, GgufFile::open(f32));
  QuantizeOptions o;
  o.target = *quantize_target_from_name(name);
  o.threads = 1;
  ANVIL_RETURN_IF_ERROR(quantize_model(*in, out, o).status());
  return out;
}

// Every pooling for F32; the file's (mean) for the other types, where the weights are what differ.
void check_embeddings(const std::filesystem::path& path, double max_abs, double min_cosine,
                      std::vector<int> poolings = {-1}) {
  auto model = BertModel::load(path);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const int64_t E = (*model)->config().n_embd;
  const auto seqs = parity_sequences();
  core::ThreadPool pool(1);
  for (int pooling : poolings) {  // -1: the file's (mean); 2: cls; 3: last
    const PoolingType p = pooling < 0 ? (*model)->config().pooling : static_cast<PoolingType>(pooling);
    auto want = t::reference_embed(path, seqs, pooling);
    ASSERT_TRUE(want.ok()) << want.status().to_string();
    ASSERT_EQ(want->size(), seqs.size() * static_cast<size_t>(E));
    auto got = (*model)->embed(batch_of(seqs), p, &pool);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    const Diff d = compare_rows(*got, *want, E);
    EXPECT_LE(d.max_abs, max_abs) << path.filename() << " pooling " << pooling_type_name(p);
    EXPECT_GE(d.min_cosine, min_cosine) << path.filename() << " pooling " << pooling_type_name(p);
    std::printf("[ parity   ] %s %s: max abs diff %.3g, min cosine %.9f\n",
                path.filename().c_str(), std::string(pooling_type_name(p)).c_str(), d.max_abs,
                d.min_cosine);
  }
}

TEST(BertParity, TinyBertF32Embeddings) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto path = t::test_model("tiny-bert", "f32");
  ASSERT_TRUE(path.ok()) << path.status().to_string();
  check_embeddings(*path, 1e-5, 0.999999, {-1, 2, 3});
}

TEST(BertParity, TinyBertF16Embeddings) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto path = t::test_model("tiny-bert", "f16");
  ASSERT_TRUE(path.ok()) << path.status().to_string();
  check_embeddings(*path, 1e-5, 0.999999);
}

TEST(BertParity, TinyBertQ8_0Embeddings) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto f32 = t::test_model("tiny-bert", "f32");
  ASSERT_TRUE(f32.ok()) << f32.status().to_string();
  auto path = quantized(*f32, "q8_0");
  ASSERT_TRUE(path.ok()) << path.status().to_string();
  check_embeddings(*path, 2e-2, 0.999);
}

TEST(BertParity, BatchedEqualsOneByOne) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto path = t::test_model("tiny-bert", "f32");
  ASSERT_TRUE(path.ok()) << path.status().to_string();
  auto e = Embedder::open(*path, {2, 32, 8192});
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  const auto seqs = parity_sequences();
  auto batched = (*e)->embed_tokens(seqs);
  ASSERT_TRUE(batched.ok());
  for (size_t i = 0; i < seqs.size(); ++i) {
    auto alone = (*e)->embed_tokens(std::span(seqs).subspan(i, 1));
    ASSERT_TRUE(alone.ok());
    for (size_t k = 0; k < (*alone)[0].size(); ++k) {
      ASSERT_NEAR((*batched)[i][k], (*alone)[0][k], 1e-6) << "sequence " << i;
    }
  }
}

TEST(BertParity, TextsThroughTheTokenizer) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto path = t::test_model("tiny-bert", "f32");
  ASSERT_TRUE(path.ok()) << path.status().to_string();
  auto e = Embedder::open(*path, {1, 32, 8192});
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  const std::vector<std::string> texts = {
      "How do I replace the mechanical seal of a centrifugal pump?",
      "Bearing noise increased after 1,200 operating hours.", "", "Hello, World!"};
  auto got = (*e)->embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  std::vector<std::vector<int32_t>> seqs;
  for (const auto& text : texts) seqs.push_back((*e)->tokens_for(text));
  EXPECT_EQ(seqs[1].front(), 101);  // bge's [CLS] ... [SEP]
  EXPECT_EQ(seqs[1].back(), 102);
  auto want = t::reference_embed(*path, seqs);
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  std::vector<float> flat;
  for (const auto& v : *got) flat.insert(flat.end(), v.begin(), v.end());
  const Diff d = compare_rows(flat, *want, (*e)->dim());
  EXPECT_LE(d.max_abs, 1e-5);
}

TEST(BertParity, TinyRerankerScores) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto path = t::test_model("tiny-reranker", "f32");
  ASSERT_TRUE(path.ok()) << path.status().to_string();
  auto r = Reranker::open(*path, {2, 32, 8192});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const std::vector<int32_t> query = {2129, 2000, 5672, 1037, 7744};  // "how to replace a seal"
  const auto docs = parity_sequences();
  std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> ref_pairs;
  std::vector<RerankPair> pairs;
  for (const auto& d : docs) {
    // Documents without their [CLS]/[SEP]; the longest is cut so that pairs fit 128 tokens.
    std::vector<int32_t> body(d.begin() + 1, d.end() - 1);
    if (body.size() > 100) body.resize(100);
    ref_pairs.emplace_back(query, body);
    pairs.push_back((*r)->make_pair(query, body));
  }
  auto want = t::reference_rerank(*path, ref_pairs);
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  auto got = (*r)->score_pairs(pairs);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  ASSERT_EQ(got->size(), want->size());
  double worst = 0;
  for (size_t i = 0; i < got->size(); ++i) {
    const double tol = 1e-4 * std::max(1.0, std::fabs(static_cast<double>((*want)[i])));
    EXPECT_NEAR((*got)[i], (*want)[i], tol) << "pair " << i;
    worst = std::max(worst, static_cast<double>(std::fabs((*got)[i] - (*want)[i])));
  }
  std::printf("[ parity   ] tiny-reranker: max abs score diff %.3g\n", worst);
  // The scores are not all alike (the test could not pass on a constant).
  EXPECT_GT(std::fabs((*want)[0] - (*want)[3]), 1e-3);
}

}  // namespace
}  // namespace anvil::engine
