// `anvil quantize` engine: llama.cpp's per-tensor type policy (checked against the type counts
// llama.cpp reports for a Llama-2-7B Q4_K_M), values after a round trip, metadata, determinism
// across thread counts, and the errors.
#include "anvil/engine/quantize_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include "anvil/core/file_io.h"
#include "anvil/engine/fp16.h"
#include "anvil/engine/gguf_writer.h"
#include "anvil/engine/quants.h"
#include "testing/temp_dir.h"

namespace anvil::engine {
namespace {

struct Spec {
  int n_layer = 8;
  int64_t d = 256;    // ne[0] of most weights: a multiple of 256 so k-quants apply
  int64_t rows = 4;   // ne[1] of every weight (small: these tests are about types and bytes)
  bool with_output = true;
  bool output_f16 = true;
  bool odd_tensor = false;  // a weight whose rows (100) fit no block size
  std::string arch = "llama";
};

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.5f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<uint8_t> f32_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * 4);
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

std::vector<uint8_t> f16_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * 2);
  for (size_t i = 0; i < v.size(); ++i) {
    uint16_t h = fp32_to_fp16(v[i]);
    std::memcpy(out.data() + 2 * i, &h, 2);
  }
  return out;
}

// Writes a llama-shaped f32 model and returns its original values by tensor name.
std::map<std::string, std::vector<float>> write_model(const Spec& s, const std::filesystem::path& path) {
  GgufWriter w;
  w.set_string("general.architecture", s.arch);
  w.set_string("general.name", "tiny");
  w.set_uint32(s.arch + ".block_count", static_cast<uint32_t>(s.n_layer));
  w.set_uint32(s.arch + ".embedding_length", static_cast<uint32_t>(s.d));
  w.set_uint32("general.file_type", 0);
  std::vector<std::string> tokens = {"<s>", "</s>", "a"};
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_float32(s.arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
  std::map<std::string, std::vector<float>> values;
  uint32_t seed = 1;
  auto add = [&](const std::string& name, std::vector<int64_t> ne, bool f16 = false, bool bf16 = false) {
    int64_t n = 1;
    for (int64_t x : ne) n *= x;
    auto v = random_values(static_cast<size_t>(n), seed++);
    if (f16) {
      for (auto& x : v) x = fp16_to_fp32(fp32_to_fp16(x));  // what the file can hold
      EXPECT_TRUE(w.add_tensor(name, GgmlType::kF16, ne, f16_bytes(v)).ok());
    } else if (bf16) {
      std::vector<uint8_t> bytes(v.size() * 2);
      for (size_t i = 0; i < v.size(); ++i) {
        const uint16_t h = fp32_to_bf16(v[i]);
        v[i] = bf16_to_fp32(h);
        std::memcpy(bytes.data() + 2 * i, &h, 2);
      }
      EXPECT_TRUE(w.add_tensor(name, GgmlType::kBF16, ne, bytes).ok());
    } else {
      EXPECT_TRUE(w.add_tensor(name, GgmlType::kF32, ne, f32_bytes(v)).ok());
    }
    values[name] = std::move(v);
  };
  add("token_embd.weight", {s.d, s.rows});
  add("output_norm.weight", {s.d});
  if (s.with_output) add("output.weight", {s.d, s.rows}, s.output_f16);
  for (int i = 0; i < s.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    add(p + "attn_norm.weight", {s.d});
    add(p + "attn_q.weight", {s.d, s.rows});
    add(p + "attn_q.bias", {s.rows});
    add(p + "attn_k.weight", {s.d, s.rows});
    add(p + "attn_v.weight", {s.d, s.rows});
    add(p + "attn_output.weight", {s.d, s.rows});
    add(p + "ffn_norm.weight", {s.d});
    add(p + "ffn_gate.weight", {s.d, s.rows});
    add(p + "ffn_up.weight", {s.d, s.rows}, false, /*bf16=*/i == 1);
    add(p + "ffn_down.weight", {2 * s.d, s.rows});
  }
  if (s.odd_tensor) add("blk.0.odd.weight", {100, s.rows});
  EXPECT_TRUE(w.write(path).ok());
  return values;
}

std::map<std::string, GgmlType> planned_types(const std::filesystem::path& path, QuantizeTarget target) {
  auto in = GgufFile::open(path);
  EXPECT_TRUE(in.ok());
  auto plans = plan_quantization(**in, target);
  EXPECT_TRUE(plans.ok()) << plans.status().message();
  std::map<std::string, GgmlType> out;
  for (const auto& p : *plans) out[p.name] = p.to;
  return out;
}

std::map<GgmlType, int> count_types(const std::map<std::string, GgmlType>& types) {
  std::map<GgmlType, int> out;
  for (const auto& [name, type] : types) ++out[type];
  return out;
}

TEST(QuantizePolicy, Llama2_7BShapeGivesLlamaCppsTypeCounts) {
  // llama.cpp's log for llama-2-7b.Q4_K_M.gguf: "type f32: 65 tensors, type q4_K: 193 tensors,
  // type q6_K: 33 tensors" (the model has no biases; ours adds 32 1-D biases, kept f32).
  testing::TempDir dir;
  Spec s;
  s.n_layer = 32;
  s.rows = 2;
  s.output_f16 = false;
  write_model(s, dir / "m.gguf");
  auto types = planned_types(dir / "m.gguf", QuantizeTarget::kQ4_K_M);
  auto counts = count_types(types);
  EXPECT_EQ(counts[GgmlType::kF32], 65 + 32);
  EXPECT_EQ(counts[GgmlType::kQ4_K], 193);
  EXPECT_EQ(counts[GgmlType::kQ6_K], 33);
  // use_more_bits for 32 layers: 0-3, 28-31, and 6, 9, ..., 27.
  std::vector<int> more;
  for (int i = 0; i < 32; ++i) {
    if (types["blk." + std::to_string(i) + ".attn_v.weight"] == GgmlType::kQ6_K) more.push_back(i);
    EXPECT_EQ(types["blk." + std::to_string(i) + ".attn_v.weight"],
              types["blk." + std::to_string(i) + ".ffn_down.weight"]);
  }
  EXPECT_EQ(more, (std::vector<int>{0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31}));
  EXPECT_EQ(types["output.weight"], GgmlType::kQ6_K);
  EXPECT_EQ(types["token_embd.weight"], GgmlType::kQ4_K);
}

TEST(QuantizePolicy, EightLayers) {
  testing::TempDir dir;
  Spec s;
  s.odd_tensor = true;
  write_model(s, dir / "m.gguf");
  auto km = planned_types(dir / "m.gguf", QuantizeTarget::kQ4_K_M);
  // use_more_bits(i, 8): i < 1, i >= 7, (i - 1) % 3 == 2.
  for (int i = 0; i < 8; ++i) {
    const bool more = i == 0 || i == 3 || i == 6 || i == 7;
    const std::string p = "blk." + std::to_string(i) + ".";
    EXPECT_EQ(km[p + "attn_v.weight"], more ? GgmlType::kQ6_K : GgmlType::kQ4_K) << i;
    EXPECT_EQ(km[p + "ffn_down.weight"], more ? GgmlType::kQ6_K : GgmlType::kQ4_K) << i;
    EXPECT_EQ(km[p + "attn_q.weight"], GgmlType::kQ4_K);
    EXPECT_EQ(km[p + "ffn_up.weight"], GgmlType::kQ4_K);
    EXPECT_EQ(km[p + "attn_norm.weight"], GgmlType::kF32);
    EXPECT_EQ(km[p + "attn_q.bias"], GgmlType::kF32);
  }
  EXPECT_EQ(km["output.weight"], GgmlType::kQ6_K);
  EXPECT_EQ(km["blk.0.odd.weight"], GgmlType::kF16);  // q4_K -> q5_0 -> f16: 100 fits neither

  auto q40 = planned_types(dir / "m.gguf", QuantizeTarget::kQ4_0);
  EXPECT_EQ(q40["output.weight"], GgmlType::kQ6_K);
  EXPECT_EQ(q40["token_embd.weight"], GgmlType::kQ4_0);
  EXPECT_EQ(q40["blk.0.attn_v.weight"], GgmlType::kQ4_0);
  EXPECT_EQ(q40["blk.7.ffn_down.weight"], GgmlType::kQ4_0);
  EXPECT_EQ(q40["blk.0.odd.weight"], GgmlType::kF16);

  auto q80 = planned_types(dir / "m.gguf", QuantizeTarget::kQ8_0);
  EXPECT_EQ(q80["output.weight"], GgmlType::kQ8_0);
  EXPECT_EQ(q80["blk.3.attn_v.weight"], GgmlType::kQ8_0);
  EXPECT_EQ(q80["output_norm.weight"], GgmlType::kF32);
}

TEST(QuantizePolicy, TiedEmbeddingsTakeTheOutputType) {
  testing::TempDir dir;
  Spec s;
  s.with_output = false;
  write_model(s, dir / "m.gguf");
  EXPECT_EQ(planned_types(dir / "m.gguf", QuantizeTarget::kQ4_K_M)["token_embd.weight"], GgmlType::kQ6_K);
  EXPECT_EQ(planned_types(dir / "m.gguf", QuantizeTarget::kQ4_0)["token_embd.weight"], GgmlType::kQ6_K);
  EXPECT_EQ(planned_types(dir / "m.gguf", QuantizeTarget::kQ8_0)["token_embd.weight"], GgmlType::kQ8_0);
}

TEST(QuantizePolicy, OutputRowsNotAMultipleOf256FallBack) {
  testing::TempDir dir;
  Spec s;
  s.d = 96;  // a multiple of 32 only
  write_model(s, dir / "m.gguf");
  auto km = planned_types(dir / "m.gguf", QuantizeTarget::kQ4_K_M);
  EXPECT_EQ(km["output.weight"], GgmlType::kQ8_0);   // output rule: q8_0 when 256 does not divide
  EXPECT_EQ(km["blk.1.attn_q.weight"], GgmlType::kQ5_0);  // q4_K's fallback
  EXPECT_EQ(km["blk.0.attn_v.weight"], GgmlType::kQ8_0);  // q6_K's fallback
  auto q40 = planned_types(dir / "m.gguf", QuantizeTarget::kQ4_0);
  EXPECT_EQ(q40["output.weight"], GgmlType::kQ8_0);
  EXPECT_EQ(q40["blk.1.attn_q.weight"], GgmlType::kQ4_0);
}

// Relative RMS error of `type` against the originals, after dequantizing what was written.
double relative_rms(const GgufTensor& t, const std::vector<float>& original) {
  std::vector<float> back(static_cast<size_t>(t.n_elements()));
  for (int64_t r = 0; r < t.n_rows(); ++r) {
    dequantize_row(t.type, t.data + r * t.row_bytes(), back.data() + r * t.ne[0], t.ne[0]);
  }
  double err = 0, ref = 0;
  for (size_t i = 0; i < back.size(); ++i) {
    err += (back[i] - original[i]) * (back[i] - original[i]);
    ref += original[i] * original[i];
  }
  return std::sqrt(err / ref);
}

void check_round_trip(QuantizeTarget target, const std::map<GgmlType, double>& tolerance) {
  testing::TempDir dir;
  Spec s;
  s.odd_tensor = true;
  auto values = write_model(s, dir / "in.gguf");
  auto in = GgufFile::open(dir / "in.gguf");
  ASSERT_TRUE(in.ok());
  QuantizeOptions options;
  options.target = target;
  options.threads = 2;
  std::vector<std::string> seen;
  options.on_tensor = [&](const QuantizeProgress& p) {
    EXPECT_EQ(p.index, seen.size());
    seen.push_back(p.plan->name);
  };
  auto summary = quantize_model(**in, dir / "out.gguf", options);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(seen.size(), (*in)->tensors().size());
  EXPECT_EQ(summary->output_file_bytes, std::filesystem::file_size(dir / "out.gguf"));
  EXPECT_LT(summary->output_file_bytes, summary->input_file_bytes);
  EXPECT_EQ(summary->fallbacks, 1u);

  auto out = GgufFile::open(dir / "out.gguf");
  ASSERT_TRUE(out.ok()) << out.status().message();
  auto plans = plan_quantization(**in, target);
  ASSERT_TRUE(plans.ok());
  ASSERT_EQ((*out)->tensors().size(), plans->size());
  for (size_t i = 0; i < plans->size(); ++i) {
    const GgufTensor& t = (*out)->tensors()[i];
    const TensorPlan& p = (*plans)[i];
    SCOPED_TRACE(p.name);
    EXPECT_EQ(t.name, p.name);
    EXPECT_EQ(t.type, p.to);
    const GgufTensor* orig = (*in)->find_tensor(p.name);
    EXPECT_EQ(t.n_dims, orig->n_dims);
    EXPECT_EQ(t.ne[0], orig->ne[0]);
    EXPECT_EQ(t.ne[1], orig->ne[1]);
    if (!p.convert) {
      EXPECT_EQ(0, std::memcmp(t.data, orig->data, t.n_bytes));
      continue;
    }
    auto tol = tolerance.find(t.type);
    ASSERT_NE(tol, tolerance.end()) << ggml_type_name(t.type);
    EXPECT_LT(relative_rms(t, values[p.name]), tol->second) << ggml_type_name(t.type);
  }
  // Metadata: everything copied, file type and quantization version set.
  for (const auto& kv : (*in)->metadata()) {
    if (kv.key == "general.file_type") continue;
    const GgufValue* v = (*out)->find(kv.key);
    ASSERT_NE(v, nullptr) << kv.key;
    EXPECT_EQ(v->to_string(100), kv.value.to_string(100)) << kv.key;
  }
  EXPECT_EQ(*(*out)->get_int("general.file_type").value(), quantize_target_file_type(target));
  EXPECT_EQ(*(*out)->get_int("general.quantization_version").value(), 2);
}

// Tolerances from the block formats on N(0, 0.5) values: 8-bit, 6-bit, 5-bit and 4-bit codes.
TEST(QuantizeModel, Q8_0RoundTrip) {
  check_round_trip(QuantizeTarget::kQ8_0, {{GgmlType::kQ8_0, 0.01}, {GgmlType::kF16, 0.001}});
}
TEST(QuantizeModel, Q4_0RoundTrip) {
  check_round_trip(QuantizeTarget::kQ4_0,
                   {{GgmlType::kQ4_0, 0.15}, {GgmlType::kQ6_K, 0.04}, {GgmlType::kF16, 0.001}});
}
TEST(QuantizeModel, Q4_K_MRoundTrip) {
  check_round_trip(QuantizeTarget::kQ4_K_M,
                   {{GgmlType::kQ4_K, 0.12}, {GgmlType::kQ6_K, 0.04}, {GgmlType::kF16, 0.001}});
}

TEST(QuantizeModel, SameBytesWhateverTheThreadCount) {
  testing::TempDir dir;
  Spec s;
  s.rows = 16;
  write_model(s, dir / "in.gguf");
  auto in = GgufFile::open(dir / "in.gguf");
  ASSERT_TRUE(in.ok());
  QuantizeOptions options;
  options.target = QuantizeTarget::kQ4_K_M;
  options.threads = 1;
  ASSERT_TRUE(quantize_model(**in, dir / "a.gguf", options).ok());
  options.threads = 3;
  ASSERT_TRUE(quantize_model(**in, dir / "b.gguf", options).ok());
  auto a = core::read_file(dir / "a.gguf");
  auto b = core::read_file(dir / "b.gguf");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(*a == *b);
}

TEST(QuantizeModel, Errors) {
  testing::TempDir dir;
  GgufWriter w;
  std::vector<uint8_t> q8(34 * 2);
  ASSERT_TRUE(w.add_tensor("blk.0.attn_q.weight", GgmlType::kQ8_0, std::vector<int64_t>{32, 2}, q8).ok());
  ASSERT_TRUE(w.write(dir / "q.gguf").ok());
  auto q = GgufFile::open(dir / "q.gguf");
  ASSERT_TRUE(q.ok());
  auto r = quantize_model(**q, dir / "out.gguf", {});
  EXPECT_EQ(r.status().message(), (dir / "q.gguf").string() +
                                      ": tensor 'blk.0.attn_q.weight' has type q8_0: only f32, f16 and bf16 models "
                                      "can be quantized (this one already is)");
  EXPECT_FALSE(std::filesystem::exists(dir / "out.gguf"));

  GgufWriter nan;
  std::vector<float> v(256 * 2, 1.0f);
  v[300] = std::nanf("");
  ASSERT_TRUE(nan.add_tensor("w.weight", GgmlType::kF32, std::vector<int64_t>{256, 2}, f32_bytes(v)).ok());
  ASSERT_TRUE(nan.write(dir / "nan.gguf").ok());
  auto n = GgufFile::open(dir / "nan.gguf");
  ASSERT_TRUE(n.ok());
  r = quantize_model(**n, dir / "out.gguf", {});
  EXPECT_EQ(r.status().message(),
            (dir / "out.gguf").string() + ": tensor 'w.weight': row 1 holds a non-finite value (nan) at column 44");
  EXPECT_FALSE(std::filesystem::exists(dir / "out.gguf"));

  GgufWriter split;
  split.set_uint16("split.count", 3);
  ASSERT_TRUE(split.write(dir / "split.gguf").ok());
  auto sp = GgufFile::open(dir / "split.gguf");
  ASSERT_TRUE(sp.ok());
  EXPECT_EQ(quantize_model(**sp, dir / "out.gguf", {}).status().message(),
            (dir / "split.gguf").string() + ": a split model (3 files): merge the parts into one file first");
}

TEST(QuantizeModel, TargetNames) {
  EXPECT_EQ(quantize_target_from_name("Q4_K_M"), QuantizeTarget::kQ4_K_M);
  EXPECT_EQ(quantize_target_from_name("q8_0"), QuantizeTarget::kQ8_0);
  EXPECT_EQ(quantize_target_from_name("q4_0"), QuantizeTarget::kQ4_0);
  EXPECT_FALSE(quantize_target_from_name("q4_k"));
  EXPECT_EQ(quantize_target_file_type(QuantizeTarget::kQ4_K_M), 15u);
  EXPECT_EQ(quantize_target_name(QuantizeTarget::kQ4_0), "q4_0");
}

}  // namespace
}  // namespace anvil::engine
