// The vector layer every SIMD kernel is written against (simd_kernels.cc). Each translation unit
// gets the implementation its compiler flags select, in a namespace of its own (KIOKU_ISA_NS), so
// one kernel source compiles once per instruction set without the copies meeting at link time:
//
//   avx512.h         AVX-512F (x86-64, -mavx512f -mavx2 -mfma)           16 lanes
//   avx2.h           AVX2 + FMA (x86-64, -mavx2 -mfma)                    8 lanes
//   neon.h           NEON (aarch64, always present)                       4 lanes
//   wasm_simd128.h   WebAssembly SIMD128 (-msimd128)                      4 lanes
//   scalar.h         plain C++ (anything else, or KIOKU_ISA_SCALAR)       4 lanes
//
// Every implementation provides, in namespace kioku::KIOKU_ISA_NS:
//   V, kLanes                 the vector type and its width in floats
//   kTileRows, kTileVecs      the GEMM micro-kernel tile its registers hold
//   zero(), set1(x)           constants
//   load(p), store(p, v)      kLanes floats, unaligned
//   loadN(p, n), storeN(p, v, n)   the first n < kLanes lanes only (the rest read as 0, never touched)
//   add, sub, mul, div        lane-wise
//   fmadd(a, b, c)            a·b + c, fused where the instruction set has it
//   fnmadd(a, b, c)           c − a·b, likewise
//   vmax(a, b), vmin(a, b)    a > b ? a : b and a < b ? a : b (b when either is NaN)
//   pow2n(t)                  2^n for t = n + 1.5·2^23 (the exponent trick of expFast)
//   ifPositive(y, x)          y > 0 ? x : 0
//   sum(v)                    the sum of the lanes
//   sumLanes(v)               from kLanes vectors, the vector whose lane r is sum(v[r])
// and, where it defines KIOKU_ISA_ROTATE (AVX2, AVX-512), for the matrix-vector product's aligned reads:
//   Rotation, rotation(a)     the lane rotation whose lane l takes lane (l + a) mod kLanes
//   rotate(v, r)              v rotated by r
//   loadLanes(p, lo, hi)      lanes [lo, hi) of the vector at p (the rest read as 0, never touched)
// and, where it defines KIOKU_ISA_EDGE_ROWS (AVX2), the GEMM micro-kernels for fewer rows than
// kTileRows (the bottom edge of C), read in place instead of a full tile into scratch;
// and vecmath.h adds expFast, sigmoidFast and tanhFast on top of them.
#pragma once

#if defined(KIOKU_ISA_SCALAR)
#include "scalar.h"
#elif defined(__AVX512F__) && defined(__AVX2__) && defined(__FMA__)
#include "avx512.h"
#elif defined(__AVX2__) && defined(__FMA__)
#include "avx2.h"
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include "neon.h"
#elif defined(__wasm_simd128__)
#include "wasm_simd128.h"
#else
#include "scalar.h"
#endif

#include "vecmath.h"
