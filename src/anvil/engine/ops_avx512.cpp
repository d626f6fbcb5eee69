// The AVX-512 table of the decoder's inner loops (ops_kernels.h): ops_simd.h instantiated with
// 16-lane vectors, masked tails and 16 accumulators per tile. Compiled with the AVX-512 flags
// (cmake/modules.cmake); only called when cpu_level() is kAvx512. The instantiations have internal
// linkage, so no AVX-512 code can reach a baseline caller.
// GCC 12's AVX-512 intrinsic headers build some results from an "undefined" vector, which
// -Wuninitialized reports once inlined (GCC bug 105593): false positives.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "anvil/engine/simd_avx512.h"
// (after the traits it is instantiated with)
#include "anvil/engine/ops_simd.h"

namespace anvil::engine::ops_detail {

const OpsKernels* avx512_ops() {
  static const OpsKernels kernels = make_ops<simd::Avx512>("avx512");
  return &kernels;
}

}  // namespace anvil::engine::ops_detail
