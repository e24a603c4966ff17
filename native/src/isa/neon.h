// isa.h for NEON on aarch64: 4 lanes of float32x4_t (fused multiply-add and division are part of
// the aarch64 instruction set).
#pragma once

#if !defined(__aarch64__)
#error "isa/neon.h is for aarch64 processors; include isa/isa.h"
#endif

#include <arm_neon.h>

#include <stdint.h>

#define KIOKU_ISA_NS neon

namespace kioku {
namespace neon {

using V = float32x4_t;
// The GEMM micro-kernel's tile, kTileRows rows × kTileVecs vectors:
// 16 accumulators, 2 of B, 1 broadcast A: 19 of 32 q registers.
constexpr int kTileRows = 8;
constexpr int kTileVecs = 2;
constexpr int kLanes = 4;

inline V zero() { return vdupq_n_f32(0.f); }
inline V set1(float x) { return vdupq_n_f32(x); }
inline V load(const float* p) { return vld1q_f32(p); }
inline void store(float* p, V v) { vst1q_f32(p, v); }
// Tails go through a small buffer: only the first n floats of p are read or written.
inline V loadN(const float* p, int n) {
  float tmp[4] = {0.f, 0.f, 0.f, 0.f};
  __builtin_memcpy(tmp, p, n * sizeof(float));
  return vld1q_f32(tmp);
}
inline void storeN(float* p, V v, int n) {
  float tmp[4];
  vst1q_f32(tmp, v);
  __builtin_memcpy(p, tmp, n * sizeof(float));
}
inline V add(V a, V b) { return vaddq_f32(a, b); }
inline V sub(V a, V b) { return vsubq_f32(a, b); }
inline V mul(V a, V b) { return vmulq_f32(a, b); }
inline V div(V a, V b) { return vdivq_f32(a, b); }
inline V fmadd(V a, V b, V c) { return vfmaq_f32(c, a, b); }
inline V fnmadd(V a, V b, V c) { return vfmsq_f32(c, a, b); }
// vmaxq_f32 returns NaN for a NaN in either operand; the select keeps x86's operand order.
inline V vmax(V a, V b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
inline V vmin(V a, V b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
inline V pow2n(V t) {
  const int32x4_t n = vsubq_s32(vreinterpretq_s32_f32(t), vdupq_n_s32(0x4B400000 - 127));
  return vreinterpretq_f32_s32(vshlq_n_s32(n, 23));
}
inline V ifPositive(V y, V x) { return vbslq_f32(vcgtq_f32(y, zero()), x, zero()); }
inline float sum(V v) { return vaddvq_f32(v); }
inline V sumLanes(const V* v) { return vpaddq_f32(vpaddq_f32(v[0], v[1]), vpaddq_f32(v[2], v[3])); }

}  // namespace neon
}  // namespace kioku
