// isa.h for WebAssembly SIMD128: 4 lanes of v128_t. Base SIMD128 has no fused multiply-add, so
// fmadd rounds twice; the relaxed-SIMD build (-mrelaxed-simd, scripts/build-wasm.sh) uses
// relaxed madd, which the engine fuses where the processor can.
// The angle-bracket include below is the compiler's own header of the same name.
#pragma once

#if !defined(__wasm_simd128__)
#error "isa/wasm_simd128.h needs -msimd128; include isa/isa.h"
#endif

#include <wasm_simd128.h>

#include <stdint.h>

#define KIOKU_ISA_NS simd128

namespace kioku {
namespace simd128 {

using V = v128_t;
// The GEMM micro-kernel's tile, kTileRows rows × kTileVecs vectors: 8 accumulators, 4 of B and a
// broadcast A (and, without relaxed FMA, the product before its add) stay within the ~15 v128
// registers V8 allocates; wider tiles spill. In both builds (bench/wasm-ab.ts, interleaved) 2×16
// trained the seed at least as fast as 3×12 and faster than 4×8, and won on a recurrent step's
// product: two rows divide its batch (B 32) without an edge tile.
// KIOKU_WASM_TILE_ROWS and _VECS build other tiles for comparison (scripts/build-wasm.sh --variant).
#ifndef KIOKU_WASM_TILE_ROWS
#define KIOKU_WASM_TILE_ROWS 2
#endif
#ifndef KIOKU_WASM_TILE_VECS
#define KIOKU_WASM_TILE_VECS 4
#endif
constexpr int kTileRows = KIOKU_WASM_TILE_ROWS;
constexpr int kTileVecs = KIOKU_WASM_TILE_VECS;
constexpr int kLanes = 4;

inline V zero() { return wasm_f32x4_splat(0.f); }
inline V set1(float x) { return wasm_f32x4_splat(x); }
inline V load(const float* p) { return wasm_v128_load(p); }
inline void store(float* p, V v) { wasm_v128_store(p, v); }
inline V loadN(const float* p, int n) {
  float tmp[4] = {0.f, 0.f, 0.f, 0.f};
  __builtin_memcpy(tmp, p, n * sizeof(float));
  return wasm_v128_load(tmp);
}
inline void storeN(float* p, V v, int n) {
  float tmp[4];
  wasm_v128_store(tmp, v);
  __builtin_memcpy(p, tmp, n * sizeof(float));
}
inline V add(V a, V b) { return wasm_f32x4_add(a, b); }
inline V sub(V a, V b) { return wasm_f32x4_sub(a, b); }
inline V mul(V a, V b) { return wasm_f32x4_mul(a, b); }
inline V div(V a, V b) { return wasm_f32x4_div(a, b); }
#if defined(__wasm_relaxed_simd__)
inline V fmadd(V a, V b, V c) { return wasm_f32x4_relaxed_madd(a, b, c); }
inline V fnmadd(V a, V b, V c) { return wasm_f32x4_relaxed_nmadd(a, b, c); }
#else
inline V fmadd(V a, V b, V c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }
inline V fnmadd(V a, V b, V c) { return wasm_f32x4_sub(c, wasm_f32x4_mul(a, b)); }
#endif
// pmax(b, a) is a > b ? a : b and pmin(b, a) a < b ? a : b, b when either is NaN: isa.h's vmax and
// vmin exactly, in one instruction each where a compare and a bitselect took about four.
inline V vmax(V a, V b) { return wasm_f32x4_pmax(b, a); }
inline V vmin(V a, V b) { return wasm_f32x4_pmin(b, a); }
inline V pow2n(V t) { return wasm_i32x4_shl(wasm_i32x4_sub(t, wasm_i32x4_splat(0x4B400000 - 127)), 23); }
inline V ifPositive(V y, V x) { return wasm_v128_and(wasm_f32x4_gt(y, zero()), x); }
inline float sum(V v) {
  const V s = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  return wasm_f32x4_extract_lane(wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2)), 0);
}
inline V sumLanes(const V* v) {
  // Interleave pairs of rows and add, then the halves of each pair.
  const V s01 = wasm_f32x4_add(wasm_i32x4_shuffle(v[0], v[1], 0, 4, 1, 5), wasm_i32x4_shuffle(v[0], v[1], 2, 6, 3, 7));
  const V s23 = wasm_f32x4_add(wasm_i32x4_shuffle(v[2], v[3], 0, 4, 1, 5), wasm_i32x4_shuffle(v[2], v[3], 2, 6, 3, 7));
  return wasm_f32x4_add(wasm_i32x4_shuffle(s01, s23, 0, 1, 4, 5), wasm_i32x4_shuffle(s01, s23, 2, 3, 6, 7));
}

}  // namespace simd128
}  // namespace kioku
