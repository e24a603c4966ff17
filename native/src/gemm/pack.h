// Packing for the Goto/BLIS GEMM: blocks of A and panels of B copied into the MR- and NR-wide
// slivers the micro-kernel streams linearly, zero-padded at the edges.
#pragma once

#include <cstdint>

namespace kioku {

// out[(ir·kc + p)·MR + r] = A(ir + r, p) for an mc×kc block whose element (i, p) is a[i·rs + p·cs];
// rows past mc are zero.
void packA(const float* a, int64_t rs, int64_t cs, int64_t mc, int64_t kc, int32_t mr, float* out);
// out[(jr·kc + p)·NR + q] = B(p, jr + q) for a kc×nc panel whose element (p, j) is b[p·rs + j·cs];
// columns past nc are zero.
void packPanelB(const float* b, int64_t rs, int64_t cs, int64_t kc, int64_t nc, int32_t nr, float* out);

}  // namespace kioku
