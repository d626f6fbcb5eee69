// libFuzzer target for the GGUF reader: any input must parse or fail with a Status, never crash
// or read out of bounds (built with AddressSanitizer by run_gguf_fuzz.sh).
#include <cstddef>
#include <cstdint>
#include <span>

#include "anvil/engine/gguf.h"

namespace {

// Touches what a parsed file hands out, so the sanitizer checks every view is in bounds.
void use(const anvil::engine::GgufFile& f) {
  volatile uint8_t sink = 0;
  for (const auto& kv : f.metadata()) {
    (void)kv.value.to_string(4);
    (void)f.get_int(kv.key);
    (void)f.get_string_array(kv.key);
    (void)f.get_float_array(kv.key);
    (void)f.get_int_array(kv.key);
  }
  for (const auto& t : f.tensors()) {
    if (t.n_bytes > 0) sink = sink ^ t.data[0] ^ t.data[t.n_bytes - 1];
    (void)f.find_tensor(t.name);
  }
  (void)sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = anvil::engine::GgufFile::parse(std::span<const uint8_t>(data, size), "fuzz");
  if (f.ok()) use(**f);
  return 0;
}
