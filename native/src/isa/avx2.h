// isa.h for AVX2 with FMA: 8 lanes of __m256.
#pragma once

#if !defined(__x86_64__) && !defined(__i386__)
#error "isa/avx2.h is for x86 processors; include isa/isa.h"
#endif

#include <immintrin.h>

#include <stdint.h>

#define KIOKU_ISA_NS avx2

namespace kioku {
namespace avx2 {

using V = __m256;
// The GEMM micro-kernel's tile, kTileRows rows × kTileVecs vectors:
// 12 accumulators, 2 of B, 1 broadcast A: 15 of 16 ymm.
constexpr int kTileRows = 6;
constexpr int kTileVecs = 2;
constexpr int kLanes = 8;
// Edge micro-kernels for the last 1…5 rows of C (simd_kernels.cc): a recurrent step's 16 or 32
// rows leave 4 or 2 over, which a full 6-row tile into scratch and back would cost a fifth more.
#define KIOKU_ISA_EDGE_ROWS 1

inline V zero() { return _mm256_setzero_ps(); }
inline V set1(float x) { return _mm256_set1_ps(x); }
inline V load(const float* p) { return _mm256_loadu_ps(p); }
inline void store(float* p, V v) { _mm256_storeu_ps(p, v); }
// Eight entries read at kTailMask + 8 − n set the first n lanes. Masked-off lanes are neither read
// nor written, so a tail never faults.
alignas(32) inline constexpr int32_t kTailMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
inline __m256i firstLanes(int n) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kTailMask + 8 - n));
}
inline V loadN(const float* p, int n) { return _mm256_maskload_ps(p, firstLanes(n)); }
inline void storeN(float* p, V v, int n) { _mm256_maskstore_ps(p, firstLanes(n), v); }
inline V add(V a, V b) { return _mm256_add_ps(a, b); }
inline V sub(V a, V b) { return _mm256_sub_ps(a, b); }
inline V mul(V a, V b) { return _mm256_mul_ps(a, b); }
inline V div(V a, V b) { return _mm256_div_ps(a, b); }
inline V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
inline V fnmadd(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
inline V vmax(V a, V b) { return _mm256_max_ps(a, b); }
inline V vmin(V a, V b) { return _mm256_min_ps(a, b); }
inline V pow2n(V t) {
  const __m256i n = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(0x4B400000 - 127));
  return _mm256_castsi256_ps(_mm256_slli_epi32(n, 23));
}
inline V ifPositive(V y, V x) { return _mm256_and_ps(_mm256_cmp_ps(y, zero(), _CMP_GT_OQ), x); }
// Optional (KIOKU_ISA_ROTATE): lane rotations and loads of a lane range, for the matrix-vector
// product's aligned reads (simd_kernels.cc).
#define KIOKU_ISA_ROTATE 1
using Rotation = __m256i;
// The rotation whose lane l takes lane (l + a) mod kLanes.
inline Rotation rotation(int a) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_and_si256(_mm256_add_epi32(iota, _mm256_set1_epi32(a)), _mm256_set1_epi32(kLanes - 1));
}
inline V rotate(V v, Rotation r) { return _mm256_permutevar8x32_ps(v, r); }
// Lanes [lo, hi) of the vector at p; the others read as 0 and are never touched.
inline V loadLanes(const float* p, int lo, int hi) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i in = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(lo), iota),
                                         _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), iota));
  return _mm256_maskload_ps(p, in);
}

inline float sum(V v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
}

// A transpose-and-add tree (see avx512.h).
inline V sumLanes(const V* v) {
  V u[4], w[2];
  for (int i = 0; i < 4; i++)
    u[i] = _mm256_add_ps(_mm256_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm256_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  for (int i = 0; i < 2; i++) {
    const __m256d a = _mm256_castps_pd(u[2 * i]), b = _mm256_castps_pd(u[2 * i + 1]);
    w[i] = _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(a, b)), _mm256_castpd_ps(_mm256_unpackhi_pd(a, b)));
  }
  return _mm256_add_ps(_mm256_permute2f128_ps(w[0], w[1], 0x20), _mm256_permute2f128_ps(w[0], w[1], 0x31));
}

}  // namespace avx2
}  // namespace kioku
