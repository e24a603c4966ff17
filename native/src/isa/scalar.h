// isa.h in plain C++: four floats and a loop per operation, which the compiler maps onto whatever
// the target's baseline offers (SSE2 on x86-64) or keeps scalar. The reference for the others and
// the fallback on any other processor.
#pragma once

#include <stdint.h>

#define KIOKU_ISA_NS scalar

namespace kioku {
namespace scalar {

// The GEMM micro-kernel's tile, kTileRows rows × kTileVecs vectors:
// 4×16 floats, which the compiler keeps in the baseline's vector registers.
constexpr int kTileRows = 4;
constexpr int kTileVecs = 4;
constexpr int kLanes = 4;
struct V {
  float v[kLanes];
};

template <class F>
inline V each(V a, V b, F f) {
  V r;
  for (int i = 0; i < kLanes; i++) r.v[i] = f(a.v[i], b.v[i]);
  return r;
}

inline V set1(float x) { return V{{x, x, x, x}}; }
inline V zero() { return set1(0.f); }
inline V load(const float* p) {
  V r;
  __builtin_memcpy(r.v, p, sizeof r.v);
  return r;
}
inline void store(float* p, V v) { __builtin_memcpy(p, v.v, sizeof v.v); }
inline V loadN(const float* p, int n) {
  V r = zero();
  __builtin_memcpy(r.v, p, n * sizeof(float));
  return r;
}
inline void storeN(float* p, V v, int n) { __builtin_memcpy(p, v.v, n * sizeof(float)); }
inline V add(V a, V b) { return each(a, b, [](float x, float y) { return x + y; }); }
inline V sub(V a, V b) { return each(a, b, [](float x, float y) { return x - y; }); }
inline V mul(V a, V b) { return each(a, b, [](float x, float y) { return x * y; }); }
inline V div(V a, V b) { return each(a, b, [](float x, float y) { return x / y; }); }
inline V fmadd(V a, V b, V c) { return add(mul(a, b), c); }
inline V fnmadd(V a, V b, V c) { return sub(c, mul(a, b)); }
inline V vmax(V a, V b) { return each(a, b, [](float x, float y) { return x > y ? x : y; }); }
inline V vmin(V a, V b) { return each(a, b, [](float x, float y) { return x < y ? x : y; }); }
inline V pow2n(V t) {
  V r;
  for (int i = 0; i < kLanes; i++) {
    int32_t n;
    __builtin_memcpy(&n, &t.v[i], sizeof n);
    // In uint32: the shift may carry into the sign bit, which is fine for the bit pattern.
    const uint32_t bits = static_cast<uint32_t>(n - (0x4B400000 - 127)) << 23;
    __builtin_memcpy(&r.v[i], &bits, sizeof bits);
  }
  return r;
}
inline V ifPositive(V y, V x) { return each(y, x, [](float a, float b) { return a > 0 ? b : 0.f; }); }
inline float sum(V v) { return (v.v[0] + v.v[1]) + (v.v[2] + v.v[3]); }
inline V sumLanes(const V* v) { return V{{sum(v[0]), sum(v[1]), sum(v[2]), sum(v[3])}}; }

}  // namespace scalar
}  // namespace kioku
