// The AVX2/FMA/F16C table of the decoder's inner loops (ops_kernels.h): ops_simd.h instantiated
// with 8-lane vectors. Compiled with -mavx2 -mfma -mf16c (cmake/modules.cmake); only called after
// the CPU was checked for them. The instantiations have internal linkage, so no AVX2 code can be
// picked by the linker for a baseline caller.
#include "anvil/engine/simd_avx2.h"
// (after the traits it is instantiated with)
#include "anvil/engine/ops_simd.h"

namespace anvil::engine::ops_detail {

const OpsKernels* avx2_ops() {
  static const OpsKernels kernels = make_ops<simd::Avx2>("avx2");
  return &kernels;
}

}  // namespace anvil::engine::ops_detail
