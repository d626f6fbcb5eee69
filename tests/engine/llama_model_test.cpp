// Loading Llama-family models: hyperparameters and defaults from metadata, tied output, rope
// layout by architecture, and golden errors for missing or misshapen tensors and keys.
#include <gtest/gtest.h>

#include "anvil/engine/llama_model.h"
#include "engine/llama_test_model.h"

namespace anvil::engine {
namespace {

using anvil::testing::TinyLlamaSpec;
using anvil::testing::tiny_llama;

std::string load_error(const TinyLlamaSpec& spec) {
  auto m = tiny_llama(spec);
  return m->ok() ? "<loaded>" : m->status.message();
}

TEST(LlamaModel, LoadsLlamaWithDefaults) {
  auto m = tiny_llama();
  ASSERT_TRUE(m->ok()) << m->status.to_string();
  const LlamaConfig& c = m->model->config();
  EXPECT_EQ(c.arch, "llama");
  EXPECT_EQ(c.n_embd, 32);
  EXPECT_EQ(c.n_layer, 2);
  EXPECT_EQ(c.n_head, 4);
  EXPECT_EQ(c.n_head_kv, 2);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.n_rot, 8);  // defaults to head_dim
  EXPECT_EQ(c.n_vocab, 40);
  EXPECT_EQ(c.kv_dim(), 16);
  EXPECT_EQ(c.rope_type, RopeType::kNormal);
  EXPECT_FLOAT_EQ(c.rope_freq_scale, 1.0f);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_FALSE(m->model->tied_output());
  EXPECT_EQ(m->model->layers().size(), 2u);
  EXPECT_EQ(m->model->layers()[1].wk.n_out, 16);
  EXPECT_EQ(m->model->layers()[1].wk.n_in, 32);
  EXPECT_EQ(m->model->layers()[0].bq, nullptr);
  // token_embd + output (40 x 32 each), per layer: 2 norms, q, k, v, o, gate, up, down; final norm.
  const int64_t per_layer = 2 * 32 + 32 * 32 + 2 * 32 * 16 + 32 * 32 + 3 * 32 * 64;
  EXPECT_EQ(m->model->n_params(), 2 * 40 * 32 + 2 * per_layer + 32);
  EXPECT_EQ(m->model->weight_bytes(), static_cast<uint64_t>(m->model->n_params()) * 4);
}

TEST(LlamaModel, WeightsPointIntoTheMapping) {
  auto m = tiny_llama();
  ASSERT_TRUE(m->ok());
  const auto* begin = reinterpret_cast<const uint8_t*>(m->bytes.data());
  const auto* end = begin + m->bytes.size();
  const LlamaLayerWeights& l = m->model->layers()[0];
  for (const MatrixView* v : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) {
    EXPECT_GE(v->data, begin);
    EXPECT_LT(v->data, end);
  }
  EXPECT_GE(reinterpret_cast<const uint8_t*>(l.attn_norm), begin);
  EXPECT_LT(reinterpret_cast<const uint8_t*>(l.attn_norm), end);
}

TEST(LlamaModel, Qwen2HasBiasesNeoxRopeAndTiedOutput) {
  TinyLlamaSpec spec;
  spec.arch = "qwen2";
  spec.tied = true;
  auto m = tiny_llama(spec);
  ASSERT_TRUE(m->ok()) << m->status.to_string();
  EXPECT_EQ(m->model->config().rope_type, RopeType::kNeox);
  EXPECT_TRUE(m->model->config().qkv_bias);
  EXPECT_NE(m->model->layers()[0].bk, nullptr);
  EXPECT_TRUE(m->model->tied_output());
  EXPECT_EQ(m->model->output().data, m->model->token_embd().data);
}

TEST(LlamaModel, LinearRopeScaling) {
  TinyLlamaSpec spec;
  spec.rope_scaling = "linear";
  spec.rope_factor = 4.0;
  spec.rope_base = 500000.0;
  auto m = tiny_llama(spec);
  ASSERT_TRUE(m->ok()) << m->status.to_string();
  EXPECT_FLOAT_EQ(m->model->config().rope_freq_scale, 0.25f);
  EXPECT_FLOAT_EQ(m->model->config().rope_freq_base, 500000.0f);
}

TEST(LlamaModel, RopeFrequencyFactorsAreBoundWhenPresent) {
  auto plain = tiny_llama();
  ASSERT_TRUE(plain->ok());
  EXPECT_EQ(plain->model->rope_freq_factors(), nullptr);
  TinyLlamaSpec spec;
  spec.rope_freqs = true;
  auto m = tiny_llama(spec);
  ASSERT_TRUE(m->ok()) << m->status.to_string();
  ASSERT_NE(m->model->rope_freq_factors(), nullptr);
  const GgufTensor* t = m->model->file().find_tensor("rope_freqs.weight");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(m->model->rope_freq_factors()[3], reinterpret_cast<const float*>(t->data)[3]);
  spec.reshape_tensor = "rope_freqs.weight";
  spec.reshape_to = {8};
  EXPECT_EQ(load_error(spec), "tiny.gguf: rope_freqs.weight: shape [8], expected [4]");
}

TEST(LlamaModel, GoldenErrors) {
  TinyLlamaSpec spec;
  spec.reshape_tensor = "blk.1.attn_k.weight";
  spec.reshape_to = {32, 8};
  EXPECT_EQ(load_error(spec), "tiny.gguf: blk.1.attn_k.weight: shape [32, 8], expected [32, 16]");

  spec = {};
  spec.reshape_tensor = "output_norm.weight";
  spec.reshape_to = {32, 1};
  EXPECT_EQ(load_error(spec), "tiny.gguf: output_norm.weight: shape [32, 1], expected [32]");

  spec = {};
  spec.drop_tensor = "blk.0.ffn_up.weight";
  EXPECT_EQ(load_error(spec), "tiny.gguf: missing tensor 'blk.0.ffn_up.weight'");

  spec = {};
  spec.arch = "qwen2";
  spec.drop_tensor = "blk.1.attn_v.bias";
  EXPECT_EQ(load_error(spec), "tiny.gguf: missing tensor 'blk.1.attn_v.bias'");

  spec = {};
  spec.drop_key = "block_count";
  EXPECT_EQ(load_error(spec), "tiny.gguf: missing metadata 'llama.block_count'");

  spec = {};
  spec.drop_key = "attention.layer_norm_rms_epsilon";
  EXPECT_EQ(load_error(spec), "tiny.gguf: missing metadata 'llama.attention.layer_norm_rms_epsilon'");

  spec = {};
  spec.n_head_kv = 3;
  spec.n_head = 4;
  EXPECT_EQ(load_error(spec),
            "tiny.gguf: 4 attention heads cannot be grouped over 3 KV heads (expected a divisor)");

  spec = {};
  spec.rope_scaling = "yarn";
  EXPECT_EQ(load_error(spec),
            "tiny.gguf: RoPE scaling type 'yarn' is not supported (expected none or linear)");

  spec = {};
  spec.arch = "gpt2";
  EXPECT_EQ(load_error(spec),
            "tiny.gguf: architecture 'gpt2' is not a Llama-family decoder (expected llama or qwen2)");
}

TEST(LlamaModel, QuantizedMatricesLoad) {
  TinyLlamaSpec spec;
  spec.matrix_type = GgmlType::kQ8_0;
  auto m = tiny_llama(spec);
  ASSERT_TRUE(m->ok()) << m->status.to_string();
  EXPECT_EQ(m->model->layers()[0].wq.type, GgmlType::kQ8_0);
  EXPECT_EQ(m->model->layers()[0].wq.row_bytes, 34u);
  EXPECT_EQ(m->model->token_embd().type, GgmlType::kQ8_0);
}

}  // namespace
}  // namespace anvil::engine
