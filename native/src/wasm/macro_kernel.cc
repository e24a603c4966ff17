// See macro_kernel.h. The tile is isa/wasm_simd128.h's kTileRows × kTileVecs vectors.
#include "macro_kernel.h"

#include <algorithm>

#include "../gemm/pack.h"
#include "../isa/isa.h"

namespace kioku {
namespace wasm {
namespace {

using namespace simd128;
constexpr int MR = kTileRows, NV = kTileVecs, NR = kTileVecs * kLanes;

// The MR×NR tile at c (+)= the sliver of A (row r, step p at a[r·rs + p·cs]) · the packed sliver pb.
inline __attribute__((always_inline)) void tile(int kc, const float* a, int rs, int cs, const float* pb, float* c,
                                                int ldc, bool add) {
  V acc[MR][NV];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = zero();
  const float* row[MR];
  for (int r = 0; r < MR; r++) row[r] = a + r * rs;
  for (int p = 0; p < kc; p++, pb += NR) {
    V b[NV];
    for (int v = 0; v < NV; v++) b[v] = load(pb + v * kLanes);
    for (int r = 0; r < MR; r++) {
      const V x = wasm_v128_load32_splat(row[r]);
      row[r] += cs;
      for (int v = 0; v < NV; v++) acc[r][v] = fmadd(x, b[v], acc[r][v]);
    }
  }
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) {
      float* to = c + r * ldc + v * kLanes;
      store(to, add ? simd128::add(acc[r][v], load(to)) : acc[r][v]);
    }
}

}  // namespace

void macroKernel(int64_t mc64, int64_t nc64, int64_t kc64, const WasmBlock& block, const float* pb, float* c,
                 int64_t ldc64, bool add) {
  // Every count and offset fits 32 bits: the module's memory is at most 4 GiB.
  const int mc = static_cast<int>(mc64), nc = static_cast<int>(nc64), kc = static_cast<int>(kc64);
  const int ldc = static_cast<int>(ldc64), full = static_cast<int>(block.full);
  const int rs = static_cast<int>(block.rs), cs = static_cast<int>(block.cs);
  alignas(16) float edge[MR * NR];
  for (int jr = 0; jr < nc; jr += NR) {
    const int nr = std::min(NR, nc - jr);
    const float* sliverB = pb + jr * kc;
    for (int ir = 0; ir < mc; ir += MR) {
      const int mr = std::min(MR, mc - ir);
      const bool inPlace = ir < full;
      const float* a = inPlace ? block.a + ir * rs : block.pa + ir * kc;
      const int ars = inPlace ? rs : 1, acs = inPlace ? cs : MR;
      float* cp = c + ir * ldc + jr;
      if (mr == MR && nr == NR) {
        tile(kc, a, ars, acs, sliverB, cp, ldc, add);
        continue;
      }
      // An edge: the full tile into scratch (A's short sliver is packed and zero-padded), then
      // the part that exists.
      tile(kc, a, ars, acs, sliverB, edge, NR, false);
      for (int r = 0; r < mr; r++)
        for (int q = 0; q < nr; q++) cp[r * ldc + q] = add ? cp[r * ldc + q] + edge[r * NR + q] : edge[r * NR + q];
    }
  }
}

void packTransposedA(const float* a, int64_t lda64, int64_t mc64, int64_t kc64, float* out) {
  if (MR != 2) {
    packA(a, 1, lda64, mc64, kc64, MR, out);
    return;
  }
  const int lda = static_cast<int>(lda64), mc = static_cast<int>(mc64), kc = static_cast<int>(kc64);
  // Row i of step p goes to out[(i − i mod 2)·kc + 2p + i mod 2]: four rows, two slivers, per vector.
  for (int p = 0; p < kc; p++) {
    const float* src = a + p * lda;
    float* dst = out + 2 * p;
    int i = 0;
    for (; i + 4 <= mc; i += 4) {
      const V v = load(src + i);
      wasm_v128_store64_lane(dst + i * kc, v, 0);
      wasm_v128_store64_lane(dst + (i + 2) * kc, v, 1);
    }
    for (; i < mc; i++) dst[(i & ~1) * kc + (i & 1)] = src[i];
    if (mc & 1) dst[(mc - 1) * kc + 1] = 0.f;
  }
}

}  // namespace wasm
}  // namespace kioku
