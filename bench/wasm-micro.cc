// A bare register-blocked SIMD128 GEMM for bench/wasm-micro.ts: kioku's 2×16 tile with nothing
// around it (B packed once by the caller, A read in place, no edge tiles, 32-bit indices, no libc).
// It is what kioku's GEMM path would reach if packing, edges, blocking and copies cost nothing.
#include <wasm_simd128.h>

#include <stdint.h>

#if defined(__wasm_relaxed_simd__)
#define FMADD(a, b, c) wasm_f32x4_relaxed_madd(a, b, c)
#else
#define FMADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul(a, b), c)
#endif

// C(2×16 at c) = A(2 rows at a, lda) · the packed k×16 sliver pb.
static inline void tile(int32_t k, const float* a, int32_t lda, const float* pb, float* c, int32_t ldc) {
  v128_t c00 = wasm_f32x4_splat(0.f), c01 = c00, c02 = c00, c03 = c00;
  v128_t c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  const float* a1 = a + lda;
  for (int32_t p = 0; p < k; p++, pb += 16) {
    const v128_t b0 = wasm_v128_load(pb), b1 = wasm_v128_load(pb + 4);
    const v128_t b2 = wasm_v128_load(pb + 8), b3 = wasm_v128_load(pb + 12);
    const v128_t x = wasm_v128_load32_splat(a + p), y = wasm_v128_load32_splat(a1 + p);
    c00 = FMADD(x, b0, c00);
    c01 = FMADD(x, b1, c01);
    c02 = FMADD(x, b2, c02);
    c03 = FMADD(x, b3, c03);
    c10 = FMADD(y, b0, c10);
    c11 = FMADD(y, b1, c11);
    c12 = FMADD(y, b2, c12);
    c13 = FMADD(y, b3, c13);
  }
  wasm_v128_store(c, c00);
  wasm_v128_store(c + 4, c01);
  wasm_v128_store(c + 8, c02);
  wasm_v128_store(c + 12, c03);
  wasm_v128_store(c + ldc, c10);
  wasm_v128_store(c + ldc + 4, c11);
  wasm_v128_store(c + ldc + 8, c12);
  wasm_v128_store(c + ldc + 12, c13);
}

// C(m×n) = A(m×k, row-major) · B, B packed as n/16 slivers of k×16; m a multiple of 2, n of 16.
// Rows in blocks of mc (kioku's MC is 32), each block against every sliver of B in turn.
extern "C" __attribute__((export_name("bare"))) void bare(int32_t m, int32_t n, int32_t k, const float* a,
                                                          const float* pb, float* c, int32_t mc) {
  for (int32_t ic = 0; ic < m; ic += mc) {
    const int32_t rows = m - ic < mc ? m - ic : mc;
    for (int32_t jr = 0; jr < n; jr += 16)
      for (int32_t ir = ic; ir < ic + rows; ir += 2) tile(k, a + ir * k, k, pb + jr * k, c + ir * n + jr, n);
  }
}

// Packs B (k×n, row-major) into the slivers bare reads.
extern "C" __attribute__((export_name("pack"))) void pack(int32_t n, int32_t k, const float* b, float* pb) {
  for (int32_t jr = 0; jr < n; jr += 16)
    for (int32_t p = 0; p < k; p++)
      for (int32_t q = 0; q < 16; q++) pb[jr * k + p * 16 + q] = b[p * n + jr + q];
}

// kioku's micro-kernel as simd_kernels.cc has it (64-bit indices, A by row and column strides, an
// accumulate flag), called through a function pointer once per tile as driver.cc's macroKernel does.
typedef void (*Micro)(int64_t, const float*, int64_t, int64_t, const float*, float*, int64_t, bool);
__attribute__((noinline)) static void micro64(int64_t kc, const float* pa, int64_t rs, int64_t cs,
                                              const float* pb, float* c, int64_t ldc, bool accumulate) {
  v128_t acc[2][4];
  for (int r = 0; r < 2; r++)
    for (int v = 0; v < 4; v++) acc[r][v] = wasm_f32x4_splat(0.f);
  int64_t off[2] = {0, rs};
  for (int64_t p = 0; p < kc; p++, pa += cs, pb += 16) {
    v128_t b[4];
    for (int v = 0; v < 4; v++) b[v] = wasm_v128_load(pb + v * 4);
    for (int r = 0; r < 2; r++) {
      const v128_t x = wasm_f32x4_splat(pa[off[r]]);
      for (int v = 0; v < 4; v++) acc[r][v] = FMADD(x, b[v], acc[r][v]);
    }
  }
  for (int r = 0; r < 2; r++)
    for (int v = 0; v < 4; v++) {
      v128_t x = acc[r][v];
      if (accumulate) x = wasm_f32x4_add(x, wasm_v128_load(c + r * ldc + v * 4));
      wasm_v128_store(c + r * ldc + v * 4, x);
    }
}
Micro volatile microPtr = micro64;

extern "C" __attribute__((export_name("kiokuLike"))) void kiokuLike(int32_t m, int32_t n, int32_t k, const float* a,
                                                                    const float* pb, float* c, int32_t mc) {
  const Micro fn = microPtr;
  for (int64_t ic = 0; ic < m; ic += mc) {
    const int64_t rows = m - ic < mc ? m - ic : mc;
    for (int64_t jr = 0; jr < n; jr += 16)
      for (int64_t ir = ic; ir < ic + rows; ir += 2) fn(k, a + ir * k, k, 1, pb + jr * k, c + ir * n + jr, n, false);
  }
}

// The same with 32-bit indices and one pointer per row of A, still called through a pointer.
typedef void (*Micro32)(int32_t, const float*, int32_t, const float*, float*, int32_t, bool);
__attribute__((noinline)) static void micro32(int32_t kc, const float* pa, int32_t rs, const float* pb, float* c,
                                              int32_t ldc, bool accumulate) {
  v128_t acc[2][4];
  for (int r = 0; r < 2; r++)
    for (int v = 0; v < 4; v++) acc[r][v] = wasm_f32x4_splat(0.f);
  const float* a1 = pa + rs;
  for (int32_t p = 0; p < kc; p++, pb += 16) {
    v128_t b[4];
    for (int v = 0; v < 4; v++) b[v] = wasm_v128_load(pb + v * 4);
    const v128_t x = wasm_v128_load32_splat(pa + p), y = wasm_v128_load32_splat(a1 + p);
    for (int v = 0; v < 4; v++) acc[0][v] = FMADD(x, b[v], acc[0][v]);
    for (int v = 0; v < 4; v++) acc[1][v] = FMADD(y, b[v], acc[1][v]);
  }
  for (int r = 0; r < 2; r++)
    for (int v = 0; v < 4; v++) {
      v128_t x = acc[r][v];
      if (accumulate) x = wasm_f32x4_add(x, wasm_v128_load(c + r * ldc + v * 4));
      wasm_v128_store(c + r * ldc + v * 4, x);
    }
}
Micro32 volatile micro32Ptr = micro32;

extern "C" __attribute__((export_name("call32"))) void call32(int32_t m, int32_t n, int32_t k, const float* a,
                                                              const float* pb, float* c, int32_t mc) {
  const Micro32 fn = micro32Ptr;
  for (int32_t ic = 0; ic < m; ic += mc) {
    const int32_t rows = m - ic < mc ? m - ic : mc;
    for (int32_t jr = 0; jr < n; jr += 16)
      for (int32_t ir = ic; ir < ic + rows; ir += 2) fn(k, a + ir * k, k, pb + jr * k, c + ir * n + jr, n, false);
  }
}
