// The AVX2/FMA table of the encoder's inner loops (encoder_ops_kernels.h): encoder_ops_simd.h
// instantiated with 8-lane vectors. Compiled with -mavx2 -mfma -mf16c (cmake/modules.cmake); only
// called when cpu_level() >= kAvx2. The instantiations have internal linkage, so no AVX2 code can
// be picked by the linker for a baseline caller.
#include "anvil/engine/simd_avx2.h"
// (after the traits it is instantiated with)
#include "anvil/engine/encoder_ops_simd.h"

namespace anvil::engine::encoder_detail {

const EncoderKernels& avx2_encoder_kernels() {
  static const EncoderKernels kernels = make_encoder_kernels<simd::Avx2>("avx2");
  return kernels;
}

}  // namespace anvil::engine::encoder_detail
