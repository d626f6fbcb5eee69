#include "anvil/engine/quantize_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/gguf_util.h"
#include "anvil/engine/gguf_writer.h"
#include "anvil/engine/quants.h"

namespace anvil::engine {
namespace {

// ggml's GGML_QNT_VERSION: the layout generation of the quantized blocks.
constexpr uint32_t kQuantizationVersion = 2;
// Rows are converted in chunks of about this many elements (16 MB as f32), so memory stays
// bounded whatever the tensor size.
constexpr int64_t kChunkElements = int64_t{4} << 20;

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// ggml_n_dims: trailing dimensions of size 1 do not count (a [4096, 1] tensor is 1-D).
int effective_dims(const GgufTensor& t) {
  for (int d = 3; d > 0; --d) {
    if (t.ne[d] > 1) return d + 1;
  }
  return 1;
}

// "blk.12.attn_v.weight" -> 12; -1 for tensors outside the layers.
int layer_of(std::string_view name) {
  if (name.substr(0, 4) != "blk.") return -1;
  int layer = 0;
  size_t i = 4;
  if (i >= name.size() || !std::isdigit(static_cast<unsigned char>(name[i]))) return -1;
  while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) {
    layer = layer * 10 + (name[i] - '0');
    if (layer > 1000000) return -1;
    ++i;
  }
  return i < name.size() && name[i] == '.' ? layer : -1;
}

// llama.cpp's use_more_bits: the first and last eighth of the layers, and every third layer in
// between, get the larger type.
bool use_more_bits(int i_layer, int n_layers) {
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

// Which tensors are quantized at all (llama_model_quantize_impl): 2-D+ weights, but not norms,
// MoE router weights, position or token-type embeddings, and a few small special matrices.
const char* not_quantized_reason(const GgufTensor& t) {
  std::string_view name = t.name;
  if (!ends_with(name, "weight")) return "not a weight";
  if (effective_dims(t) < 2) return "1-D";
  if (contains(name, "_norm.weight")) return "norm";
  if (contains(name, "ffn_gate_inp.weight")) return "MoE router";
  if (name == "position_embd.weight" || name == "token_types.weight") return "position/token-type embedding";
  if (contains(name, "ssm_conv1d.weight") || contains(name, "attn_rel_b.weight")) return "small special matrix";
  return nullptr;
}

struct ModelFacts {
  std::string arch;
  int n_layer = 0;
  int n_expert = 0;
  bool is_70b = false;  // llama.cpp's LLM_TYPE_70B: llama with 80 layers and grouped-query attention
  bool has_output = false;
  int n_attention_wv = 0;
  std::map<std::string_view, int> i_attention_wv;  // per attn_v tensor: its rank (llama.cpp's counter)
  std::map<std::string_view, int> i_ffn_down;
};

int64_t int_or(const GgufFile& f, const std::string& key, int64_t fallback) {
  auto v = f.get_int(key);
  if (!v.ok() || !v->has_value()) return fallback;
  return **v;
}

ModelFacts model_facts(const GgufFile& in) {
  ModelFacts m;
  if (auto a = in.get_string("general.architecture"); a.ok() && a->has_value()) m.arch = std::string(**a);
  int max_layer = -1;
  for (const auto& t : in.tensors()) max_layer = std::max(max_layer, layer_of(t.name));
  m.n_layer = static_cast<int>(int_or(in, m.arch + ".block_count", max_layer + 1));
  m.n_expert = static_cast<int>(int_or(in, m.arch + ".expert_count", 0));
  const int64_t n_head = int_or(in, m.arch + ".attention.head_count", 0);
  const int64_t n_head_kv = int_or(in, m.arch + ".attention.head_count_kv", n_head);
  m.is_70b = m.arch == "llama" && m.n_layer == 80 && n_head != n_head_kv;
  // llama.cpp visits tensors sorted by layer, then name (its weight_name_comparer), and counts
  // attn_v and ffn_down tensors as it goes: that count is the layer index use_more_bits sees.
  std::vector<const GgufTensor*> order;
  for (const auto& t : in.tensors()) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const GgufTensor* a, const GgufTensor* b) {
    const int la = layer_of(a->name), lb = layer_of(b->name);
    if (la != lb) return la < lb;
    return a->name < b->name;
  });
  int i_v = 0, i_down = 0;
  for (const GgufTensor* t : order) {
    std::string_view name = t->name;
    if (contains(name, "attn_v.weight") || contains(name, "attn_qkv.weight") || contains(name, "attn_kv_b.weight")) {
      ++m.n_attention_wv;
    } else if (name == "output.weight") {
      m.has_output = true;
    }
    // Only tensors that are quantized reach llama_tensor_get_type and move its counters.
    if (not_quantized_reason(*t) != nullptr) continue;
    if (contains(name, "attn_v.weight")) {
      m.i_attention_wv[name] = i_v++;
    } else if (contains(name, "ffn_down")) {
      m.i_ffn_down[name] = i_down++;
    }
  }
  return m;
}

GgmlType default_type(QuantizeTarget target) {
  switch (target) {
    case QuantizeTarget::kQ8_0: return GgmlType::kQ8_0;
    case QuantizeTarget::kQ4_0: return GgmlType::kQ4_0;
    case QuantizeTarget::kQ4_K_M: return GgmlType::kQ4_K;
  }
  return GgmlType::kQ8_0;
}

// llama_tensor_get_type, restricted to the three targets Anvil offers.
GgmlType tensor_type(const ModelFacts& m, const GgufTensor& t, QuantizeTarget target, std::string* reason) {
  const std::string_view name = t.name;
  const bool k_m = target == QuantizeTarget::kQ4_K_M;
  const bool falcon = m.arch == "falcon";
  GgmlType type = default_type(target);
  *reason = "default";
  if (name == "output.weight" || (!m.has_output && name == "token_embd.weight")) {
    *reason = name == "output.weight" ? "output" : "token_embd used as output (tied)";
    if (falcon || t.ne[0] % ggml_traits(type).block_size != 0) {
      type = GgmlType::kQ8_0;
    } else if (type != GgmlType::kQ8_0) {
      type = GgmlType::kQ6_K;
    }
  } else if (name == "token_embd.weight") {
    // No rule for these targets.
  } else if (contains(name, "attn_v.weight")) {
    auto it = m.i_attention_wv.find(name);
    const int i = it == m.i_attention_wv.end() ? 0 : it->second;
    if (k_m && use_more_bits(i, m.n_attention_wv)) {
      type = GgmlType::kQ6_K;
      *reason = fmt::format("attn_v, more bits ({} of {})", i, m.n_attention_wv);
    }
    if (m.is_70b && (type == GgmlType::kQ3_K || type == GgmlType::kQ4_K)) {
      type = GgmlType::kQ5_K;
      *reason = "attn_v of a 70B model";
    }
    if (m.n_expert == 8) {
      type = GgmlType::kQ8_0;
      *reason = "attn_v of an 8-expert model";
    }
  } else if (contains(name, "attn_k.weight")) {
    if (m.n_expert == 8) {
      type = GgmlType::kQ8_0;
      *reason = "attn_k of an 8-expert model";
    }
  } else if (contains(name, "ffn_down")) {
    auto it = m.i_ffn_down.find(name);
    int i_layer = it == m.i_ffn_down.end() ? 0 : it->second;
    if (m.n_expert > 1) i_layer = layer_of(name);  // experts are not stored layer by layer
    const int n = m.n_layer;
    if (k_m) {
      if (falcon) {
        type = i_layer < n / 16 ? GgmlType::kQ6_K : use_more_bits(i_layer, n) ? GgmlType::kQ5_K : GgmlType::kQ4_K;
        *reason = fmt::format("ffn_down of falcon (layer {} of {})", i_layer, n);
      } else if (use_more_bits(i_layer, n)) {
        type = GgmlType::kQ6_K;
        *reason = fmt::format("ffn_down, more bits (layer {} of {})", i_layer, n);
      }
    }
  } else if (contains(name, "attn_output.weight")) {
    if (!falcon && m.n_expert == 8 && k_m) {
      type = GgmlType::kQ5_K;
      *reason = "attn_output of an 8-expert model";
    }
  } else if (contains(name, "attn_qkv.weight")) {
    if (k_m) {
      type = GgmlType::kQ5_K;
      *reason = "fused attn_qkv";
    }
  }
  // Rows that do not divide into the type's blocks: llama.cpp's fallbacks for k-quants, and F16
  // where llama.cpp has none (it refuses such a tensor for q4_0 and q8_0).
  const int64_t nx = t.ne[0];
  if (nx % ggml_traits(type).block_size != 0) {
    const GgmlType wanted = type;
    switch (type) {
      case GgmlType::kQ4_K: type = GgmlType::kQ5_0; break;
      case GgmlType::kQ5_K: type = GgmlType::kQ5_1; break;
      case GgmlType::kQ6_K: type = GgmlType::kQ8_0; break;
      default: type = GgmlType::kF16; break;
    }
    if (nx % ggml_traits(type).block_size != 0) type = GgmlType::kF16;
    *reason = fmt::format("fallback: {} columns not a multiple of {}'s block size {}", nx, ggml_type_name(wanted),
                          ggml_traits(wanted).block_size);
  }
  return type;
}

bool is_float_input(GgmlType type) {
  return type == GgmlType::kF32 || type == GgmlType::kF16 || type == GgmlType::kBF16;
}

}  // namespace

std::optional<QuantizeTarget> quantize_target_from_name(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "q8_0") return QuantizeTarget::kQ8_0;
  if (lower == "q4_0") return QuantizeTarget::kQ4_0;
  if (lower == "q4_k_m") return QuantizeTarget::kQ4_K_M;
  return std::nullopt;
}

std::string_view quantize_target_name(QuantizeTarget target) {
  switch (target) {
    case QuantizeTarget::kQ8_0: return "q8_0";
    case QuantizeTarget::kQ4_0: return "q4_0";
    case QuantizeTarget::kQ4_K_M: return "q4_k_m";
  }
  return "?";
}

uint32_t quantize_target_file_type(QuantizeTarget target) {
  switch (target) {
    case QuantizeTarget::kQ8_0: return 7;
    case QuantizeTarget::kQ4_0: return 2;
    case QuantizeTarget::kQ4_K_M: return 15;
  }
  return 0;
}

core::Result<std::vector<TensorPlan>> plan_quantization(const GgufFile& in, QuantizeTarget target) {
  for (const auto& t : in.tensors()) {
    if (!is_float_input(t.type)) {
      return core::Status::invalid_argument(fmt::format(
          "{}: tensor '{}' has type {}: only f32, f16 and bf16 models can be quantized (this one already is)",
          in.name(), escape_bytes(t.name), ggml_type_name(t.type)));
    }
  }
  if (auto count = in.get_int("split.count"); count.ok() && count->has_value() && **count > 1) {
    return core::Status::unsupported(fmt::format(
        "{}: a split model ({} files): merge the parts into one file first", in.name(), **count));
  }
  const ModelFacts facts = model_facts(in);
  std::vector<TensorPlan> plans;
  plans.reserve(in.tensors().size());
  for (const auto& t : in.tensors()) {
    TensorPlan p;
    p.name = std::string(t.name);
    p.from = t.type;
    if (const char* why = not_quantized_reason(t)) {
      p.to = t.type;
      p.reason = fmt::format("kept: {}", why);
    } else {
      p.to = tensor_type(facts, t, target, &p.reason);
      if (p.to == p.from) p.reason += " (already that type)";
    }
    p.convert = p.to != p.from;
    plans.push_back(std::move(p));
  }
  return plans;
}

namespace {

// Converts one tensor, chunk by chunk, into `sink`. Rows run in parallel on `pool` (or the
// calling thread alone when pool is null).
core::Status convert_tensor(const GgufTensor& t, GgmlType to, core::ThreadPool* pool,
                            const GgufWriter::ChunkSink& sink) {
  const int64_t n_per_row = t.ne[0];
  const int64_t n_rows = t.n_rows();
  const size_t in_row = t.row_bytes();
  const size_t out_row = ggml_row_size(to, n_per_row);
  const int64_t chunk_rows = std::max<int64_t>(1, kChunkElements / n_per_row);
  std::vector<uint8_t> out(static_cast<size_t>(std::min(chunk_rows, n_rows)) * out_row);
  std::mutex error_mu;
  std::optional<core::Status> error;
  std::atomic<bool> failed{false};

  auto convert_row = [&](int64_t row, uint8_t* dst) {
    thread_local std::vector<float> scratch;
    const uint8_t* src = t.data + static_cast<size_t>(row) * in_row;
    const float* values = nullptr;
    if (t.type == GgmlType::kF32 && reinterpret_cast<uintptr_t>(src) % alignof(float) == 0) {
      values = reinterpret_cast<const float*>(src);
    } else {
      scratch.resize(static_cast<size_t>(n_per_row));
      dequantize_row(t.type, src, scratch.data(), n_per_row);
      values = scratch.data();
    }
    for (int64_t i = 0; i < n_per_row; ++i) {
      if (!std::isfinite(values[i])) {
        std::lock_guard lock(error_mu);
        if (!error) {
          error = core::Status::invalid_argument(fmt::format("row {} holds a non-finite value ({}) at column {}", row,
                                                             values[i], i));
        }
        failed = true;
        return;
      }
    }
    quantize_row(to, values, dst, n_per_row);
  };

  for (int64_t first = 0; first < n_rows; first += chunk_rows) {
    const int64_t rows = std::min(chunk_rows, n_rows - first);
    auto body = [&](size_t r) {
      if (failed.load(std::memory_order_relaxed)) return;
      convert_row(first + static_cast<int64_t>(r), out.data() + r * out_row);
    };
    if (pool != nullptr && rows > 1) {
      pool->parallel_for(0, static_cast<size_t>(rows), body);
    } else {
      for (int64_t r = 0; r < rows; ++r) body(static_cast<size_t>(r));
    }
    if (failed) return *error;
    ANVIL_RETURN_IF_ERROR(sink(std::span<const uint8_t>(out.data(), static_cast<size_t>(rows) * out_row)));
  }
  return {};
}

}  // namespace

core::Result<QuantizeSummary> quantize_model(const GgufFile& in, const std::filesystem::path& out,
                                             const QuantizeOptions& options) {
  ANVIL_ASSIGN_OR_RETURN(std::vector<TensorPlan> plans, plan_quantization(in, options.target));
  for (const auto& p : plans) {
    if (p.convert && !can_quantize(p.to)) {
      return core::Status::unsupported(
          fmt::format("tensor '{}': Anvil cannot write {} yet", escape_bytes(p.name), ggml_type_name(p.to)));
    }
  }

  GgufWriter writer;
  for (const auto& kv : in.metadata()) {
    if (kv.key == "split.no" || kv.key == "split.count" || kv.key == "split.tensors.count") continue;
    writer.set_value(kv.key, kv.value);
  }
  writer.set_uint32("general.quantization_version", kQuantizationVersion);
  writer.set_uint32("general.file_type", quantize_target_file_type(options.target));

  size_t threads = options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  // parallel_for also runs on the calling thread, so the pool has one thread fewer.
  std::unique_ptr<core::ThreadPool> pool;
  if (threads > 1) pool = std::make_unique<core::ThreadPool>(threads - 1);

  QuantizeSummary summary;
  summary.input_file_bytes = in.file_size();
  const auto& tensors = in.tensors();
  for (size_t i = 0; i < tensors.size(); ++i) {
    const GgufTensor& t = tensors[i];
    const TensorPlan& plan = plans[i];
    std::vector<int64_t> ne(t.ne, t.ne + std::max(1, t.n_dims));
    const uint64_t bytes_out = ggml_row_size(plan.to, t.ne[0]) * static_cast<uint64_t>(t.n_rows());
    summary.tensor_bytes_in += t.n_bytes;
    summary.tensor_bytes_out += bytes_out;
    if (plan.convert) {
      ++summary.converted;
    } else {
      ++summary.copied;
    }
    if (plan.reason.rfind("fallback", 0) == 0) ++summary.fallbacks;
    auto report = [&options, &plan, &t, i, count = tensors.size(), bytes_out] {
      if (!options.on_tensor) return;
      QuantizeProgress p;
      p.index = i;
      p.count = count;
      p.plan = &plan;
      p.tensor = &t;
      p.bytes_in = t.n_bytes;
      p.bytes_out = bytes_out;
      options.on_tensor(p);
    };
    GgufWriter::TensorSource source;
    if (plan.convert) {
      source = [&t, &plan, pool = pool.get(), report](const GgufWriter::ChunkSink& sink) -> core::Status {
        ANVIL_RETURN_IF_ERROR(convert_tensor(t, plan.to, pool, sink));
        report();
        return {};
      };
    } else {
      source = [&t, report](const GgufWriter::ChunkSink& sink) -> core::Status {
        ANVIL_RETURN_IF_ERROR(sink(std::span<const uint8_t>(t.data, t.n_bytes)));
        report();
        return {};
      };
    }
    ANVIL_RETURN_IF_ERROR(writer.add_tensor(t.name, plan.to, ne, std::move(source)));
  }
  summary.output_file_bytes = writer.file_size();
  ANVIL_RETURN_IF_ERROR(writer.write(out));
  return summary;
}

}  // namespace anvil::engine
