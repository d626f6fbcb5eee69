#include "anvil/engine/cpu_features.h"

#include <cpuid.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>

namespace anvil::engine {
namespace {

uint64_t read_xcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(1, 0, a, b, c, d);
  const bool osxsave = (c >> 27) & 1;
  f.fma = (c >> 12) & 1;
  f.f16c = (c >> 29) & 1;
  if (osxsave) {
    const uint64_t xcr0 = read_xcr0();
    f.os_ymm = (xcr0 & 0x6) == 0x6;              // SSE + AVX state
    f.os_zmm = f.os_ymm && (xcr0 & 0xe0) == 0xe0;  // opmask, ZMM_Hi256, Hi16_ZMM
  }
  __cpuid_count(7, 0, a, b, c, d);
  f.avx2 = (b >> 5) & 1;
  f.avx512f = (b >> 16) & 1;
  f.avx512dq = (b >> 17) & 1;
  f.avx512bw = (b >> 30) & 1;
  f.avx512vl = (b >> 31) & 1;
  f.avx512vnni = (c >> 11) & 1;
  f.amx_bf16 = (d >> 22) & 1;
  f.avx512fp16 = (d >> 23) & 1;
  f.amx_tile = (d >> 24) & 1;
  f.amx_int8 = (d >> 25) & 1;
  const unsigned max_sub = a;
  if (max_sub >= 1) {
    __cpuid_count(7, 1, a, b, c, d);
    f.avx_vnni = (a >> 4) & 1;
    f.avx512bf16 = (a >> 5) & 1;
  }
  if (!f.os_ymm) f.avx2 = f.fma = f.f16c = false;
  if (!f.os_zmm) {
    f.avx512f = f.avx512dq = f.avx512bw = f.avx512vl = f.avx512vnni = false;
    f.avx512bf16 = f.avx512fp16 = false;
  }
  return f;
}

CpuLevel detect_level() {
  const CpuFeatures& f = cpu_features();
  if (!(f.avx2 && f.fma && f.f16c)) return CpuLevel::kPortable;
  if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512vnni) return CpuLevel::kAvx512;
  return CpuLevel::kAvx2;
}

CpuLevel level_from_env() {
  const CpuLevel best = detected_cpu_level();
  const char* env = std::getenv("ANVIL_CPU");
  if (env == nullptr || *env == '\0') return best;
  const auto wanted = parse_cpu_level(env);
  if (!wanted) return best;  // an unknown name leaves the choice to detection
  return std::min(*wanted, best);
}

// -1: not decided yet; otherwise a CpuLevel value.
std::atomic<int> g_level{-1};

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

std::string_view cpu_level_name(CpuLevel level) {
  switch (level) {
    case CpuLevel::kPortable: return "portable";
    case CpuLevel::kAvx2: return "avx2";
    case CpuLevel::kAvx512: return "avx512";
  }
  return "portable";
}

std::optional<CpuLevel> parse_cpu_level(std::string_view name) {
  if (name == "portable") return CpuLevel::kPortable;
  if (name == "avx2") return CpuLevel::kAvx2;
  if (name == "avx512") return CpuLevel::kAvx512;
  return std::nullopt;
}

CpuLevel detected_cpu_level() {
  static const CpuLevel level = detect_level();
  return level;
}

CpuLevel cpu_level() {
  int v = g_level.load(std::memory_order_relaxed);
  if (v < 0) {
    v = static_cast<int>(level_from_env());
    g_level.store(v, std::memory_order_relaxed);
  }
  return static_cast<CpuLevel>(v);
}

void set_cpu_level(std::optional<CpuLevel> level) {
  if (!level) {
    g_level.store(static_cast<int>(level_from_env()), std::memory_order_relaxed);
    return;
  }
  g_level.store(static_cast<int>(std::min(*level, detected_cpu_level())), std::memory_order_relaxed);
}

}  // namespace anvil::engine
