// The attention cache of one sequence: for every layer the keys (after RoPE) and values of each
// position seen so far, as two [n_ctx, kv_dim] row-major matrices of f32 or f16.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "anvil/core/status.h"
#include "anvil/engine/ggml_type.h"

namespace anvil::engine {

class KvCache {
 public:
  // type: kF32 or kF16. Memory is reserved, not touched: pages become resident as positions are
  // written, so a large context costs only what is used.
  static core::Result<std::unique_ptr<KvCache>> create(int64_t n_layer, int64_t n_ctx,
                                                       int64_t kv_dim, GgmlType type);

  // Stores k, v: [n, kv_dim] f32 at positions [pos, pos + n) of `layer`.
  void write(int64_t layer, int64_t pos, int64_t n, const float* k, const float* v);

  // Row `pos` of layer's K (V): kv_dim elements of type(); rows are row_bytes() apart.
  const uint8_t* k_row(int64_t layer, int64_t pos) const { return row(layer, 0, pos); }
  const uint8_t* v_row(int64_t layer, int64_t pos) const { return row(layer, 1, pos); }

  GgmlType type() const { return type_; }
  int64_t n_layer() const { return n_layer_; }
  int64_t n_ctx() const { return n_ctx_; }
  int64_t kv_dim() const { return kv_dim_; }
  size_t row_bytes() const { return row_bytes_; }
  size_t bytes() const { return static_cast<size_t>(n_layer_) * 2 * n_ctx_ * row_bytes_; }
  // Bytes per cached position over all layers (K and V).
  size_t bytes_per_position() const { return static_cast<size_t>(n_layer_) * 2 * row_bytes_; }

 private:
  KvCache() = default;
  uint8_t* row(int64_t layer, int which, int64_t pos) const {
    return data_.get() + ((static_cast<size_t>(layer) * 2 + which) * n_ctx_ + pos) * row_bytes_;
  }

  GgmlType type_ = GgmlType::kF32;
  int64_t n_layer_ = 0;
  int64_t n_ctx_ = 0;
  int64_t kv_dim_ = 0;
  size_t row_bytes_ = 0;
  std::unique_ptr<uint8_t[]> data_;  // [n_layer][K, V][n_ctx][kv_dim]
};

}  // namespace anvil::engine
