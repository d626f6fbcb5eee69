// What the CPU (and the OS, which must save the wider registers) supports, read once with cpuid,
// and the kernel level the engine uses: the best one available, or a lower one forced with the
// environment variable ANVIL_CPU=portable|avx2|avx512 (tests use that to check every path).
#pragma once

#include <optional>
#include <string_view>

namespace anvil::engine {

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512vnni = false, avx512bf16 = false, avx512fp16 = false, avx_vnni = false;
  bool amx_tile = false, amx_int8 = false, amx_bf16 = false;
  bool os_ymm = false;   // XCR0 saves YMM state
  bool os_zmm = false;   // XCR0 saves opmask and ZMM state
};

const CpuFeatures& cpu_features();

// Kernel families, each requiring everything the one before it does:
//   kAvx2:   AVX2 + FMA + F16C
//   kAvx512: + AVX-512 F/BW/VL/DQ + VNNI (AMX-BF16 tiles are used for prompts when present and
//            granted by the OS, not required)
enum class CpuLevel : int { kPortable = 0, kAvx2 = 1, kAvx512 = 2 };

std::string_view cpu_level_name(CpuLevel level);
std::optional<CpuLevel> parse_cpu_level(std::string_view name);

// The best level this CPU supports.
CpuLevel detected_cpu_level();
// The level kernels use: detected_cpu_level(), lowered by ANVIL_CPU (read on first use) or by
// set_cpu_level(). A request above what the CPU supports is clamped to it.
CpuLevel cpu_level();
// Overrides the level for this process (tests); nullopt returns to the environment's choice.
// Not synchronized with running kernels: call it between matmuls.
void set_cpu_level(std::optional<CpuLevel> level);

}  // namespace anvil::engine
