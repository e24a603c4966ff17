// The 128-bit multiply-add ceiling for bench/wasm-micro.ts: `chains(iters)` runs 12 independent
// chains acc = acc·x + y on 4-lane vectors, as a fused multiply-add where the build has one and as a
// multiply then an add where it does not (plain SIMD128). Compiled twice: to WebAssembly (the
// engine's ceiling; exported as `chains`) and natively with -mavx2 -mfma on 128-bit vectors, fused
// or, with -DPEAK_MUL_ADD, not (the processor's ceilings for 4 lanes; main prints GFLOP/s in CPU time).
#include <stdint.h>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
typedef v128_t V;
static inline V splat(float x) { return wasm_f32x4_splat(x); }
static inline V addV(V a, V b) { return wasm_f32x4_add(a, b); }
#if defined(__wasm_relaxed_simd__)
static inline V madd(V a, V b, V c) { return wasm_f32x4_relaxed_madd(a, b, c); }
#else
static inline V madd(V a, V b, V c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }
#endif
static inline float lane0(V v) { return wasm_f32x4_extract_lane(v, 0); }
#else
#include <immintrin.h>
typedef __m128 V;
static inline V splat(float x) { return _mm_set1_ps(x); }
static inline V addV(V a, V b) { return _mm_add_ps(a, b); }
#if defined(PEAK_MUL_ADD)
static inline V madd(V a, V b, V c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
#else
static inline V madd(V a, V b, V c) { return _mm_fmadd_ps(a, b, c); }
#endif
static inline float lane0(V v) { return _mm_cvtss_f32(v); }
#endif

#define CHAINS 12

#if defined(__wasm__)
#define EXPORT(name) __attribute__((export_name(name)))
#else
#define EXPORT(name)
#endif

// 2·4·CHAINS flops per iteration; the sum is returned so that nothing is elided.
extern "C" EXPORT("chains") float chains(int32_t iters) {
  V acc[CHAINS];
  for (int i = 0; i < CHAINS; i++) acc[i] = splat(static_cast<float>(i));
  const V x = splat(0.999999f), y = splat(1e-7f);
  for (int32_t it = 0; it < iters; it++) {
#pragma unroll
    for (int i = 0; i < CHAINS; i++) acc[i] = madd(acc[i], x, y);
  }
  V s = acc[0];
  for (int i = 1; i < CHAINS; i++) s = addV(s, acc[i]);
  return lane0(s);
}

#if !defined(__wasm__)
#include <stdio.h>
#include <time.h>

static double cpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// The best of a few runs of 2^24 iterations, in GFLOP/s.
int main() {
  const int32_t iters = 1 << 24;
  double best = 0;
  float sink = 0;
  for (int r = 0; r < 5; r++) {
    const double t0 = cpuSeconds();
    sink += chains(iters);
    const double s = cpuSeconds() - t0;
    if (2.0 * 4 * CHAINS * iters / s / 1e9 > best) best = 2.0 * 4 * CHAINS * iters / s / 1e9;
  }
  printf("%.1f\n", best + 0 * sink);
  return 0;
}
#endif
