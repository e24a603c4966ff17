// isa.h for AVX-512F: 16 lanes of __m512.
#pragma once

#if !defined(__x86_64__) && !defined(__i386__)
#error "isa/avx512.h is for x86 processors; include isa/isa.h"
#endif

#include <immintrin.h>

#include <stdint.h>

#define KIOKU_ISA_NS avx512

namespace kioku {
namespace avx512 {

using V = __m512;
// The GEMM micro-kernel's tile, kTileRows rows × kTileVecs vectors:
// 16 accumulators of 16 lanes, 2 of B, 1 broadcast A: 19 of 32 zmm.
constexpr int kTileRows = 8;
constexpr int kTileVecs = 2;
constexpr int kLanes = 16;

inline V zero() { return _mm512_setzero_ps(); }
inline V set1(float x) { return _mm512_set1_ps(x); }
inline V load(const float* p) { return _mm512_loadu_ps(p); }
inline void store(float* p, V v) { _mm512_storeu_ps(p, v); }
// Masked-off lanes are neither read nor written, so a tail never faults.
inline __mmask16 firstLanes(int n) { return static_cast<__mmask16>((1u << n) - 1); }
inline V loadN(const float* p, int n) { return _mm512_maskz_loadu_ps(firstLanes(n), p); }
inline void storeN(float* p, V v, int n) { _mm512_mask_storeu_ps(p, firstLanes(n), v); }
inline V add(V a, V b) { return _mm512_add_ps(a, b); }
inline V sub(V a, V b) { return _mm512_sub_ps(a, b); }
inline V mul(V a, V b) { return _mm512_mul_ps(a, b); }
inline V div(V a, V b) { return _mm512_div_ps(a, b); }
inline V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
inline V fnmadd(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
inline V vmax(V a, V b) { return _mm512_max_ps(a, b); }
inline V vmin(V a, V b) { return _mm512_min_ps(a, b); }
inline V pow2n(V t) {
  const __m512i n = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000 - 127));
  return _mm512_castsi512_ps(_mm512_slli_epi32(n, 23));
}
inline V ifPositive(V y, V x) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, zero(), _CMP_GT_OQ), x); }
inline float sum(V v) { return _mm512_reduce_add_ps(v); }

// Optional (KIOKU_ISA_ROTATE): lane rotations and loads of a lane range, for the matrix-vector
// product's aligned reads (simd_kernels.cc).
#define KIOKU_ISA_ROTATE 1
using Rotation = __m512i;
// The rotation whose lane l takes lane (l + a) mod kLanes.
inline Rotation rotation(int a) {
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return _mm512_and_si512(_mm512_add_epi32(iota, _mm512_set1_epi32(a)), _mm512_set1_epi32(kLanes - 1));
}
inline V rotate(V v, Rotation r) { return _mm512_permutexvar_ps(r, v); }
// Lanes [lo, hi) of the vector at p; the others read as 0 and are never touched.
inline V loadLanes(const float* p, int lo, int hi) {
  return _mm512_maskz_loadu_ps(static_cast<__mmask16>(((1u << hi) - 1) & ~((1u << lo) - 1)), p);
}

// Lanes (a0 + a1, a2 + a3, b0 + b1, b2 + b3) of the 128-bit lanes of a and b.
inline V fold4(V a, V b) {
  return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}

// A transpose-and-add tree: a horizontal sum per row would cost as much as the products.
inline V sumLanes(const V* v) {
  V u[8], w[4];
  // Pairs of rows: each 128-bit lane holds partials of rows (2i, 2i + 1, 2i, 2i + 1).
  for (int i = 0; i < 8; i++)
    u[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  // Quads: each 128-bit lane holds partials of rows 4i … 4i + 3.
  for (int i = 0; i < 4; i++) {
    const __m512d a = _mm512_castps_pd(u[2 * i]), b = _mm512_castps_pd(u[2 * i + 1]);
    w[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  // Sum the four 128-bit lanes of each quad, two quads at a time, then once more.
  return fold4(fold4(w[0], w[1]), fold4(w[2], w[3]));
}

}  // namespace avx512
}  // namespace kioku
