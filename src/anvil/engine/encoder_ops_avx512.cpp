// The AVX-512 table of the encoder's inner loops (encoder_ops_kernels.h): encoder_ops_simd.h
// instantiated with 16-lane vectors and 32 registers (4 rows at a time in the weighted sums).
// Compiled with the AVX-512 flags (cmake/modules.cmake); only called when cpu_level() is kAvx512.
// GCC 12's AVX-512 intrinsic headers build some results from an "undefined" vector, which
// -Wuninitialized reports once inlined (GCC bug 105593): false positives.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "anvil/engine/simd_avx512.h"
// (after the traits it is instantiated with)
#include "anvil/engine/encoder_ops_simd.h"

namespace anvil::engine::encoder_detail {

const EncoderKernels& avx512_encoder_kernels() {
  static const EncoderKernels kernels = make_encoder_kernels<simd::Avx512>("avx512");
  return kernels;
}

}  // namespace anvil::engine::encoder_detail
