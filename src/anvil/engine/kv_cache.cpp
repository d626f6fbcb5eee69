#include "anvil/engine/kv_cache.h"

#include <cstring>
#include <new>

#include <fmt/format.h>

#include "anvil/engine/fp16.h"

namespace anvil::engine {

using core::Status;

core::Result<std::unique_ptr<KvCache>> KvCache::create(int64_t n_layer, int64_t n_ctx,
                                                       int64_t kv_dim, GgmlType type) {
  if (type != GgmlType::kF32 && type != GgmlType::kF16) {
    return Status::invalid_argument(fmt::format(
        "KV cache type must be f32 or f16, found {}", ggml_type_name(type)));
  }
  if (n_layer <= 0 || n_ctx <= 0 || kv_dim <= 0) {
    return Status::invalid_argument(fmt::format(
        "KV cache needs positive sizes, found {} layers, context {}, row width {}", n_layer, n_ctx,
        kv_dim));
  }
  std::unique_ptr<KvCache> c(new KvCache());
  c->type_ = type;
  c->n_layer_ = n_layer;
  c->n_ctx_ = n_ctx;
  c->kv_dim_ = kv_dim;
  c->row_bytes_ = ggml_row_size(type, kv_dim);
  // Default-initialized (not zeroed): a large allocation is fresh anonymous memory that costs
  // nothing until written, and positions are always written before they are read.
  c->data_.reset(new (std::nothrow) uint8_t[c->bytes()]);
  if (!c->data_) {
    return Status::resource_exhausted(fmt::format(
        "cannot allocate a KV cache of {} MiB ({} positions)", c->bytes() >> 20, n_ctx));
  }
  return c;
}

void KvCache::write(int64_t layer, int64_t pos, int64_t n, const float* k, const float* v) {
  const size_t values = static_cast<size_t>(n * kv_dim_);
  uint8_t* kd = row(layer, 0, pos);
  uint8_t* vd = row(layer, 1, pos);
  if (type_ == GgmlType::kF32) {
    std::memcpy(kd, k, values * sizeof(float));
    std::memcpy(vd, v, values * sizeof(float));
    return;
  }
  auto* kh = reinterpret_cast<uint16_t*>(kd);
  auto* vh = reinterpret_cast<uint16_t*>(vd);
  for (size_t i = 0; i < values; ++i) {
    kh[i] = fp32_to_fp16(k[i]);
    vh[i] = fp32_to_fp16(v[i]);
  }
}

}  // namespace anvil::engine
