// BertModel on small hand-built GGUF files: the loader's golden errors (missing, misshapen or
// mistyped tensors, bad metadata), batch validation, pooling and the rank head checked against
// the encoder's own token states, and packing: a batch gives what each sequence gives alone.
// The forward math itself is checked against PyTorch in bert_parity_test.cpp.
#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/bert_model.h"
#include "anvil/engine/gguf.h"
#include "engine/bert_test_model.h"

namespace anvil::engine {
namespace {

using testing::TinyBertSpec;

std::string load_error(const TinyBertSpec& spec) {
  auto m = testing::tiny_bert(spec).load();
  if (m.ok()) return "(loaded)";
  return m.status().message();
}

TEST(BertModel, LoadsConfigAndTensors) {
  auto tiny = testing::tiny_bert();
  auto m = tiny.load();
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  const BertConfig& c = (*m)->config();
  EXPECT_EQ(c.n_embd, 32);
  EXPECT_EQ(c.n_layer, 2);
  EXPECT_EQ(c.n_ff, 64);
  EXPECT_EQ(c.n_head, 4);
  EXPECT_EQ(c.head_dim(), 8);
  EXPECT_EQ(c.n_ctx, 24);
  EXPECT_FLOAT_EQ(c.norm_eps, 1e-12f);
  EXPECT_EQ(c.pooling, PoolingType::kMean);
  EXPECT_EQ((*m)->n_vocab(), 50);
  EXPECT_EQ((*m)->n_token_types(), 2);
  EXPECT_FALSE((*m)->has_rank_head());

  TinyBertSpec rank;
  rank.pooling = 4;
  rank.rank_head = true;
  auto tiny_rank = testing::tiny_bert(rank);
  auto r = tiny_rank.load();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE((*r)->has_rank_head());
  EXPECT_EQ((*r)->config().pooling, PoolingType::kRank);
}

TEST(BertModel, GoldenLoadErrors) {
  TinyBertSpec s;
  s.drop_tensor = "blk.1.ffn_up.bias";
  EXPECT_EQ(load_error(s), "tiny.gguf: tensor 'blk.1.ffn_up.bias' is missing");

  s = {};
  s.reshape_tensor = "blk.0.attn_q.weight";
  s.reshape_to = {32, 16};
  EXPECT_EQ(load_error(s),
            "tiny.gguf: tensor 'blk.0.attn_q.weight' has shape [32, 16], expected [32, 32]");

  s = {};
  s.reshape_tensor = "position_embd.weight";
  s.reshape_to = {32, 20};
  EXPECT_EQ(load_error(s),
            "tiny.gguf: tensor 'position_embd.weight' has shape [32, 20], expected [32, 24]");

  s = {};
  s.reshape_tensor = "token_embd_norm.bias";
  s.reshape_to = {32, 2};
  EXPECT_EQ(load_error(s),
            "tiny.gguf: tensor 'token_embd_norm.bias' has shape [32, 2], expected [32]");

  s = {};
  s.retype_tensor = "blk.0.ffn_down.weight";
  s.retype_to = GgmlType::kQ8_1;
  EXPECT_EQ(load_error(s),
            "tiny.gguf: tensor 'blk.0.ffn_down.weight' has type q8_1, which Anvil does not support");

  s = {};
  s.drop_key = "block_count";
  EXPECT_EQ(load_error(s), "tiny.gguf: metadata 'bert.block_count' is missing");

  s = {};
  s.drop_key = "attention.layer_norm_epsilon";
  EXPECT_EQ(load_error(s), "tiny.gguf: metadata 'bert.attention.layer_norm_epsilon' is missing");

  s = {};
  s.arch = "llama";
  EXPECT_EQ(load_error(s),
            "tiny.gguf: architecture is 'llama', expected 'bert' (an embedding or reranking model)");

  s = {};
  s.n_embd = 30;  // 4 heads
  EXPECT_EQ(load_error(s),
            "tiny.gguf: bert.embedding_length 30 is not a multiple of bert.attention.head_count 4");

  s = {};
  s.pooling = 7;
  EXPECT_EQ(load_error(s),
            "tiny.gguf: bert.pooling_type is 7, expected 0 (none), 1 (mean), 2 (cls), 3 (last) or "
            "4 (rank)");

  s = {};
  s.causal = true;
  EXPECT_EQ(load_error(s),
            "tiny.gguf: bert.attention.causal is true; Anvil's encoder attends in both directions");

  s = {};
  s.pooling = 4;
  EXPECT_EQ(load_error(s),
            "tiny.gguf: bert.pooling_type is 4 (rank) but tensor 'cls.output.weight' is missing");

  s = {};
  s.pooling = 4;
  s.rank_head = true;
  s.drop_tensor = "cls.bias";
  EXPECT_EQ(load_error(s), "tiny.gguf: tensor 'cls.bias' is missing");

  s = {};
  s.pooling = 4;
  s.rank_head = true;
  s.reshape_tensor = "cls.output.weight";
  s.reshape_to = {32, 2};
  EXPECT_EQ(load_error(s),
            "tiny.gguf: tensor 'cls.output.weight' has shape [32, 2], expected [32, 1]");
}

TEST(BertModel, OptionalTensorsMayBeAbsent) {
  TinyBertSpec s;
  s.n_types = 0;  // some BERT variants have no segment embeddings
  s.pooling = -1;  // absent: none
  auto tiny = testing::tiny_bert(s);
  auto m = tiny.load();
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ((*m)->n_token_types(), 0);
  EXPECT_EQ((*m)->config().pooling, PoolingType::kNone);
  EncoderBatch b;
  b.add(std::vector<int32_t>{2, 7, 3});
  EXPECT_TRUE((*m)->encode(b, nullptr).ok());
}

TEST(BertModel, GoldenBatchErrors) {
  auto tiny = testing::tiny_bert();
  auto m = tiny.load();
  ASSERT_TRUE(m.ok());
  const BertModel& model = **m;

  EncoderBatch b;
  b.add(std::vector<int32_t>{2, 5, 3});
  b.add(std::vector<int32_t>{2, 50, 3});
  EXPECT_EQ(model.encode(b, nullptr).status().message(),
            "token id 50 at position 1 of sequence 1 is outside the vocabulary (50 tokens)");

  b = {};
  b.add(std::vector<int32_t>(25, 4));
  EXPECT_EQ(model.encode(b, nullptr).status().message(),
            "sequence 0 has 25 tokens, the model's context holds 24");

  b = {};
  b.add(std::vector<int32_t>{2, 5, 3}, std::vector<int32_t>{0, 0, 2});
  EXPECT_EQ(model.encode(b, nullptr).status().message(),
            "segment id 2 at position 2 of sequence 0: the model has 2 token types");

  b = {};
  b.add(std::vector<int32_t>{2, 5, 3});
  b.segments.pop_back();
  EXPECT_EQ(model.encode(b, nullptr).status().message(), "batch has 3 tokens but 2 segment ids");

  b = {};
  b.add(std::vector<int32_t>{});
  EXPECT_EQ(model.encode(b, nullptr).status().message(),
            "sequence 0 (tokens 0..0) is empty or does not follow the one before it in the batch");

  b = {};
  b.add(std::vector<int32_t>{2, 5, 3});
  EXPECT_EQ(model.embed(b, PoolingType::kNone, nullptr).status().message(),
            "pooling 'none' does not make one vector per text; expected mean, cls or last");
  EXPECT_EQ(model.rank(b, nullptr).status().message(),
            "tiny.gguf: the model has no classification head (tensor 'cls.output.weight'): it is "
            "not a reranker");

  // The context length itself is allowed.
  b = {};
  b.add(std::vector<int32_t>(24, 4));
  EXPECT_TRUE(model.encode(b, nullptr).ok());
}

std::vector<std::vector<int32_t>> sample_sequences() {
  return {{2, 11, 12, 13, 3}, {2, 40, 3}, {2, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 3},
          {2, 3}, {2, 49, 0, 1, 48, 3}};
}

TEST(BertModel, PackedBatchEqualsOneByOne) {
  for (GgmlType type : {GgmlType::kF32, GgmlType::kQ8_0}) {
    TinyBertSpec s;
    s.matrix_type = type;
    auto tiny = testing::tiny_bert(s);
  auto m = tiny.load();
    ASSERT_TRUE(m.ok());
    const auto seqs = sample_sequences();
    EncoderBatch all;
    for (const auto& q : seqs) all.add(q);
    core::ThreadPool pool(2);
    auto batched = (*m)->encode(all, &pool);
    ASSERT_TRUE(batched.ok());
    int64_t row = 0;
    for (const auto& q : seqs) {
      EncoderBatch one;
      one.add(q);
      auto alone = (*m)->encode(one, nullptr);
      ASSERT_TRUE(alone.ok());
      for (size_t t = 0; t < q.size(); ++t) {
        const float* b = batched->data() + (row + static_cast<int64_t>(t)) * 32;
        const float* a = alone->data() + t * 32;
        if (type == GgmlType::kF32) {
          for (size_t i = 0; i < 32; ++i) {
            ASSERT_NEAR(b[i], a[i], 1e-5) << "token row " << row + static_cast<int64_t>(t);
          }
          continue;
        }
        // Quantized kernels quantize the activations (to Q8, as llama.cpp does) and may take
        // another path for one token than for many, so the states agree to that rounding only.
        double dot = 0, na = 0, nb = 0;
        for (size_t i = 0; i < 32; ++i) {
          dot += static_cast<double>(a[i]) * b[i];
          na += static_cast<double>(a[i]) * a[i];
          nb += static_cast<double>(b[i]) * b[i];
        }
        EXPECT_GT(dot / std::sqrt(na * nb), 0.999) << "token row " << row + static_cast<int64_t>(t);
      }
      row += static_cast<int64_t>(q.size());
    }
  }
}

TEST(BertModel, PoolingReadsTheEncoderStates) {
  auto tiny = testing::tiny_bert();
  auto m = tiny.load();
  ASSERT_TRUE(m.ok());
  const auto seqs = sample_sequences();
  EncoderBatch b;
  for (const auto& q : seqs) b.add(q);
  auto x = (*m)->encode(b, nullptr);
  ASSERT_TRUE(x.ok());
  for (PoolingType p : {PoolingType::kMean, PoolingType::kCls, PoolingType::kLast}) {
    auto pooled = (*m)->embed(b, p, nullptr);
    ASSERT_TRUE(pooled.ok());
    ASSERT_EQ(pooled->size(), seqs.size() * 32);
    for (size_t s = 0; s < seqs.size(); ++s) {
      const SequenceSpan span = b.seqs[s];
      std::vector<double> want(32, 0.0);
      for (int64_t t = 0; t < span.length; ++t) {
        const bool take = p == PoolingType::kMean || (p == PoolingType::kCls && t == 0) ||
                          (p == PoolingType::kLast && t == span.length - 1);
        if (!take) continue;
        for (int i = 0; i < 32; ++i) want[i] += (*x)[static_cast<size_t>((span.start + t) * 32 + i)];
      }
      double norm = 0;
      for (double v : want) norm += v * v;
      norm = std::sqrt(norm);
      double got_norm = 0;
      for (int i = 0; i < 32; ++i) {
        const float got = (*pooled)[s * 32 + static_cast<size_t>(i)];
        got_norm += static_cast<double>(got) * got;
        ASSERT_NEAR(got, want[static_cast<size_t>(i)] / norm, 1e-6)
            << pooling_type_name(p) << " sequence " << s;
      }
      EXPECT_NEAR(got_norm, 1.0, 1e-6);
    }
  }
}

TEST(BertModel, RankHeadIsTanhDenseThenOutput) {
  TinyBertSpec s;
  s.pooling = 4;
  s.rank_head = true;
  auto tiny = testing::tiny_bert(s);
  auto m = tiny.load();
  ASSERT_TRUE(m.ok());
  const GgufFile& f = (*m)->file();
  auto f32 = [&](const char* name) {
    return reinterpret_cast<const float*>(f.find_tensor(name)->data);
  };
  const float* w_cls = f32("cls.weight");  // [32 out][32 in]
  const float* b_cls = f32("cls.bias");
  const float* w_out = f32("cls.output.weight");  // [1][32]
  const float b_out = *f32("cls.output.bias");

  EncoderBatch b;
  b.add(std::vector<int32_t>{2, 11, 12, 3, 20, 21, 22, 3}, std::vector<int32_t>{0, 0, 0, 0, 1, 1, 1, 1});
  b.add(std::vector<int32_t>{2, 5, 3, 6, 3}, std::vector<int32_t>{0, 0, 0, 1, 1});
  auto x = (*m)->encode(b, nullptr);
  auto scores = (*m)->rank(b, nullptr);
  ASSERT_TRUE(x.ok() && scores.ok());
  ASSERT_EQ(scores->size(), 2u);
  for (size_t q = 0; q < 2; ++q) {
    const float* c = x->data() + b.seqs[q].start * 32;
    double score = b_out;
    for (int o = 0; o < 32; ++o) {
      double h = b_cls[o];
      for (int i = 0; i < 32; ++i) h += static_cast<double>(w_cls[o * 32 + i]) * c[i];
      score += w_out[o] * std::tanh(h);
    }
    EXPECT_NEAR((*scores)[q], score, 1e-5) << "pair " << q;
  }
  // Segment ids matter: the same tokens all in segment 0 score differently.
  EncoderBatch flat;
  flat.add(std::vector<int32_t>{2, 11, 12, 3, 20, 21, 22, 3});
  auto flat_scores = (*m)->rank(flat, nullptr);
  ASSERT_TRUE(flat_scores.ok());
  EXPECT_GT(std::fabs((*flat_scores)[0] - (*scores)[0]), 1e-4);
}

}  // namespace
}  // namespace anvil::engine
