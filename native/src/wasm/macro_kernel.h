// The GEMM macro-kernel of the WebAssembly build (gemm/driver.cc calls it when SIMD128 is active):
// every tile of one MC×KC block of A times one packed KC×NC panel of B, in one function. Against
// the generic macro-kernel, which calls the micro-kernel once per tile through the kernel table
// with 64-bit indices, it reached about a fifth more GFLOP/s in V8 (bench/wasm-micro.ts): the tile
// is inlined into the loop over the block, and offsets are 32-bit, as a wasm32 address is.
#pragma once

#include <cstdint>

namespace kioku {
namespace wasm {

// The block's slivers of A as gemm/driver.cc's BlockOfA gives them: the first `full` rows at
// a + ir·rs, element (r, p) at [r·rs + p·cs] (read in place); the rest packed at pa + ir·kc,
// element (r, p) at [p·MR + r], the last one zero-padded. pb: the panel packed by packPanelB.
struct WasmBlock {
  const float* a;
  int64_t rs, cs, full;
  const float* pa;
};

// C(mc×nc) (+ when add) = the block's mc×kc A · the kc×nc panel pb; C's rows ldc apart.
void macroKernel(int64_t mc, int64_t nc, int64_t kc, const WasmBlock& block, const float* pb, float* c,
                 int64_t ldc, bool add);

// packA (gemm/pack.h) for a transposed A (element (i, p) at a[i + p·lda]), mc×kc: each step's
// rows are contiguous, so they are read a vector at a time and stored a sliver's rows at a time,
// where packA copies one float at a time (a weight gradient's A is packed, block by block, once
// per column panel of B: with a narrow B that copy cost as much as a third of the product).
void packTransposedA(const float* a, int64_t lda, int64_t mc, int64_t kc, float* out);

}  // namespace wasm
}  // namespace kioku
