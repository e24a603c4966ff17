// Which SIMD kernel tables this build holds, which the CPU can run, and which is active.
#include "simd.h"

#include <atomic>

namespace kioku {

// One table per compiled instruction set (simd_kernels.cc built with that set's flags).
#define KIOKU_DECLARE_TABLE(ns) \
  namespace ns {                \
  extern const SimdKernels kKernels; \
  }
KIOKU_DECLARE_TABLE(scalar)
#if defined(__x86_64__)
KIOKU_DECLARE_TABLE(avx2)
KIOKU_DECLARE_TABLE(avx512)
#elif defined(__aarch64__)
KIOKU_DECLARE_TABLE(neon)
#elif defined(__wasm_simd128__)
KIOKU_DECLARE_TABLE(simd128)
#endif

namespace {

const SimdKernels* tableOf(Isa isa) {
  switch (isa) {
#if defined(__x86_64__)
    case Isa::Avx512:
      return &avx512::kKernels;
    case Isa::Avx2:
      return &avx2::kKernels;
#elif defined(__aarch64__)
    case Isa::Neon:
      return &neon::kKernels;
#elif defined(__wasm_simd128__)
    case Isa::Simd128:
      return &simd128::kKernels;
#endif
    case Isa::Portable:
      return &scalar::kKernels;
    default:
      return nullptr;
  }
}

std::atomic<int32_t> gIsa{-1};

}  // namespace

Isa detectIsa() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
  return Isa::Portable;
#elif defined(__aarch64__)
  return Isa::Neon;
#elif defined(__wasm_simd128__)
  // The module only instantiates where the engine validates SIMD128 (the loader checks first).
  return Isa::Simd128;
#else
  return Isa::Portable;
#endif
}

bool isaAvailable(Isa isa) {
  if (tableOf(isa) == nullptr) return false;
  const Isa best = detectIsa();
  // x86: each set includes the one below it; elsewhere the best and the portable one.
  if (best == Isa::Neon || isa == Isa::Neon || best == Isa::Simd128 || isa == Isa::Simd128)
    return isa == best || isa == Isa::Portable;
  return static_cast<int32_t>(isa) <= static_cast<int32_t>(best);
}

Isa activeIsa() {
  int32_t v = gIsa.load();
  if (v < 0) {
    v = static_cast<int32_t>(detectIsa());
    gIsa.store(v);
  }
  return static_cast<Isa>(v);
}

bool setActiveIsa(Isa isa) {
  if (!isaAvailable(isa)) return false;
  gIsa.store(static_cast<int32_t>(isa));
  return true;
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    case Isa::Neon:
      return "neon";
    case Isa::Simd128:
#if defined(__wasm_relaxed_simd__)
      return "relaxed-simd";
#else
      return "simd128";
#endif
    default:
      return "portable";
  }
}

const SimdKernels& simd() { return *tableOf(activeIsa()); }

}  // namespace kioku
