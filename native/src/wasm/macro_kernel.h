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

}  // namespace wasm
}  // namespace kioku
