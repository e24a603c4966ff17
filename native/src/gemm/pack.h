// Packing for the Goto/BLIS GEMM: blocks of A and panels of B copied into the MR- and NR-wide
// slivers the micro-kernel streams linearly, zero-padded at the edges.
#pragma once

#include <cstdint>

namespace kioku {

struct PackedB;

// out[(ir·kc + p)·MR + r] = A(ir + r, p) for an mc×kc block whose element (i, p) is a[i·rs + p·cs];
// rows past mc are zero.
void packA(const float* a, int64_t rs, int64_t cs, int64_t mc, int64_t kc, int32_t mr, float* out);
// out[(jr·kc + p)·NR + q] = B(p, jr + q) for a kc×nc panel whose element (p, j) is b[p·rs + j·cs];
// columns past nc are zero.
void packPanelB(const float* b, int64_t rs, int64_t cs, int64_t kc, int64_t nc, int32_t nr, float* out);

// ---- frozen packs: weights packed once for many calls ----
// A frozen layer's forward (addon.cc) runs on its own copy of the weights, which nothing writes,
// and puts that copy's packs in scope on the calling thread for the one kernel call. A product
// that would pack a B first asks frozenPack: it answers only for a pack made from the very array
// the call reads (the same pointer, layout and shape), when the call's products take the packed
// path (rows > kSmallM) and the pack is for the active instruction set — so it hands out exactly
// what packB would make now, or nothing, and a stale pack cannot be reached.
class FrozenPackScope {
 public:
  FrozenPackScope(const PackedB* const* packs, int count);
  ~FrozenPackScope();
  FrozenPackScope(const FrozenPackScope&) = delete;
  FrozenPackScope& operator=(const FrozenPackScope&) = delete;

 private:
  const PackedB* const* saved_;
  int savedCount_;
};

// The pack in scope that packB(tb, k, n, b, ldb, rows, ·) would make now, or null.
const PackedB* frozenPack(bool tb, int64_t k, int64_t n, const float* b, int64_t ldb, int64_t rows);
// How many products frozenPack has served from a frozen pack (tests read it through info()).
int64_t frozenPackUses();
// frozenPack's answer, else packB into `own` (which the caller keeps for the products' lifetime).
const PackedB& packOnce(bool tb, int64_t k, int64_t n, const float* b, int64_t ldb, int64_t rows, PackedB& own);

}  // namespace kioku
