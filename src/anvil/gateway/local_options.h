// How the local provider runs its models: threads, batching and queue bounds, shared by every
// "local" deployment; [gateway.local] in anvil.toml (docs/GATEWAY.md).
#pragma once

#include <cstdint>

namespace anvil::gateway {

struct LocalProviderOptions {
  int threads = 0;             // per model: 0 = one per core
  int64_t max_sequences = 8;   // sequences batched together per model
  int64_t n_ctx = 4096;        // positions per sequence (capped by the model's training context)
  int64_t n_batch = 512;       // tokens per forward pass
  int64_t max_waiting = 256;   // queued requests per model beyond the batch; more get 429
  // Encoders: sequences and tokens per forward pass (the token bound caps activation memory);
  // requests waiting together are merged up to encoder_batch_tokens.
  int encoder_max_batch = 32;
  int64_t encoder_batch_tokens = 8192;
};

}  // namespace anvil::gateway
