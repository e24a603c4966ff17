// The GEMM driver: Goto/BLIS blocking around the active instruction set's micro-kernel, the
// small-M paths of a streaming step, pre-packed right-hand sides, and the split over the pool.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "../generated/contract.h"
#include "../pool.h"
#include "gemm.h"
#include "pack.h"
#if defined(__wasm_simd128__)
#include "../wasm/macro_kernel.h"
#endif
#if defined(__wasm__)
#include "../wasm/threads.h"
#endif

namespace kioku {
namespace {

// 64-byte aligned scratch that grows on demand, one per thread.
struct Scratch {
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data;
  size_t size = 0;
  float* get(size_t n) {
    if (n > size) {
      const size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
      data.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
      size = n;
    }
    return data.get();
  }
};

thread_local Scratch tlsPackA;
thread_local Scratch tlsPackB;
thread_local Scratch tlsPartials;

// The largest MR×NR tile of any instruction set (AVX-512's 8×32).
constexpr int kMaxTile = 8 * 32;

// A sliver of A for the micro-kernel: where row block ir starts, its stride per row and per step of k.
struct Sliver {
  const float* a;
  int64_t rs, cs;
};

// The edge micro-kernel for the last `rows` rows of C, or null. A table holds kMaxEdgeRows of them
// at most, fewer than NEON's 8-row tile leaves: rows past the table have none.
MicroFn edgeKernel(const SimdKernels& k, int64_t rows) {
  return rows < kMaxEdgeRows ? k.microEdge[rows] : nullptr;
}

// C(mc×nc) (+)= A's slivers (sliverAt(ir)) times the packed panel pb of B, tile by tile; edge tiles
// go through a scratch tile (through the edge micro-kernel where there is one, which reads no rows
// past A's) so the micro-kernel always writes a full one.
template <class SliverAt>
void macroKernel(const SimdKernels& k, int64_t mc, int64_t nc, int64_t kc, const SliverAt& sliverAt,
                 const float* pb, float* c, int64_t ldc, bool add) {
#if defined(__wasm_simd128__)
  // The WebAssembly build's own loop over the tiles (wasm/macro_kernel.h); sliverAt is a BlockOfA.
  if (activeIsa() == Isa::Simd128) {
    wasm::macroKernel(mc, nc, kc, {sliverAt.a, sliverAt.rs, sliverAt.cs, sliverAt.full, sliverAt.pa}, pb, c, ldc, add);
    return;
  }
#endif
  const int64_t MR = k.mr, NR = k.nr;
  alignas(64) float tile[kMaxTile];
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int64_t nr = std::min<int64_t>(NR, nc - jr);
    for (int64_t ir = 0; ir < mc; ir += MR) {
      const int64_t mr = std::min<int64_t>(MR, mc - ir);
      float* cp = c + ir * ldc + jr;
      const Sliver s = sliverAt(ir);
      if (mr == MR && nr == NR) {
        k.micro(kc, s.a, s.rs, s.cs, pb + jr * kc, cp, ldc, add);
        continue;
      }
      const MicroFn edge = edgeKernel(k, mr);
      if (nr == NR && edge) {
        edge(kc, s.a, s.rs, s.cs, pb + jr * kc, cp, ldc, add);
        continue;
      }
      // A short sliver may lie in place at A's end: the edge kernel reads its mr rows and no more.
      if (edge)
        edge(kc, s.a, s.rs, s.cs, pb + jr * kc, tile, NR, false);
      else
        k.micro(kc, s.a, s.rs, s.cs, pb + jr * kc, tile, NR, false);
      for (int64_t r = 0; r < mr; r++)
        for (int64_t q = 0; q < nr; q++) cp[r * ldc + q] = add ? cp[r * ldc + q] + tile[r * NR + q] : tile[r * NR + q];
    }
  }
}

// Whether A's full slivers are read in place rather than packed. The micro-kernel broadcasts one
// element per row and step of k wherever it lies, so packing only pays when the MR rows (or the
// MR-wide columns of a transposed A) would share cache sets: a row stride of a multiple of 4 KiB
// puts every row of a sliver in the same set.
// The WebAssembly build's 2-row slivers read only 8 bytes of each 64-byte line of a transposed A, and
// its block's lines, lda apart, crowd into a few cache sets: it packs a transposed A always.
bool readsAInPlace(bool ta, int64_t lda) {
#if defined(__wasm_simd128__)
  if (ta) return false;
#endif
  return ta ? lda <= 1024 : lda % 1024 != 0;
}

// The MC×KC block of A at rows ic, columns pc, as the micro-kernel's slivers: full slivers in place
// when readsAInPlace, the rest (and a short last sliver, zero-padded) packed into pa.
struct BlockOfA {
  const float* a;  // element (ic, pc)
  int64_t rs, cs, full, kc, mr;
  const float* pa;
  Sliver operator()(int64_t ir) const {
    return ir < full ? Sliver{a + ir * rs, rs, cs} : Sliver{pa + ir * kc, 1, mr};
  }
};
BlockOfA blockOfA(const SimdKernels& k, bool ta, const float* a, int64_t lda, int64_t ic, int64_t mc, int64_t pc,
                  int64_t kc, float* pa) {
  const int64_t rs = ta ? 1 : lda, cs = ta ? lda : 1, MR = k.mr;
  const float* start = a + ic * rs + pc * cs;
  // With an edge micro-kernel the last rows too are read where they lie (it reads no others).
  const bool inPlace = readsAInPlace(ta, lda);
  const int64_t full = !inPlace ? 0 : mc % MR && edgeKernel(k, mc % MR) ? mc : mc / MR * MR;
#if defined(__wasm_simd128__)
  // The WebAssembly build packs a transposed A a vector of rows at a time (wasm/macro_kernel.h).
  if (ta && activeIsa() == Isa::Simd128) {
    wasm::packTransposedA(start, lda, mc, kc, pa);
    return {start, rs, cs, 0, kc, MR, pa};
  }
#endif
  if (full < mc) packA(start + full * rs, rs, cs, mc - full, kc, k.mr, pa + full * kc);
  return {start, rs, cs, full, kc, MR, pa};
}

// One MC×KC block of A (rows ic…ic+mc) times the packed B panel, into C.
void blockTimesPanel(const SimdKernels& k, bool ta, int64_t ic, int64_t mc, int64_t pc, int64_t kc, int64_t jc,
                     int64_t nc, const float* a, int64_t lda, const float* pb, float* c, int64_t ldc, bool add) {
  float* pa = tlsPackA.get(static_cast<size_t>(k.kc) * k.mc);
  macroKernel(k, mc, nc, kc, blockOfA(k, ta, a, lda, ic, mc, pc, kc, pa), pb, c + ic * ldc + jc, ldc, add);
}

// The threads poolRun spreads a job over (the WebAssembly build's pool reports 1 to the recurrent
// driver, but runs a GEMM's tasks on its workers).
int runThreads() {
#if defined(__wasm__)
  return wasm::threadCount();
#else
  return poolSize();
#endif
}

// A's m rows as `tasks` ranges for the macro-kernel: MC-row blocks on one thread; over the pool,
// ranges of whole MR-row slivers, as even as the slivers allow, none over MC rows, and as many as a
// multiple of the threads, so that every thread gets the same share of C (MC blocks gave one of
// two threads 3 × 96 of 512 rows, the other 2 × 96 + 32).
struct RowSplit {
  int64_t m, mr, mc, slivers, tasks;
  bool even;
  int64_t begin(int64_t t) const { return std::min(m, even ? t * slivers / tasks * mr : t * mc); }
};
RowSplit rowSplit(const SimdKernels& k, int64_t m, int threads) {
  const int64_t slivers = (m + k.mr - 1) / k.mr, perBlock = k.mc / k.mr;
  const int64_t blocks = (slivers + perBlock - 1) / perBlock;
  if (threads <= 1) return {m, k.mr, k.mc, slivers, (m + k.mc - 1) / k.mc, false};
  const int64_t tasks = std::min(slivers, (blocks + threads - 1) / threads * threads);
  return {m, k.mr, k.mc, slivers, tasks, true};
}

// op(B)'s kc×nc panel at (pc, jc) packed into pb; over the pool, each thread packs whole slivers.
void packPanel(const SimdKernels& k, const float* b, int64_t brs, int64_t bcs, int64_t kc, int64_t nc, float* pb,
               bool parallel) {
  const int64_t slivers = (nc + k.nr - 1) / k.nr;
  const int tasks = parallel ? static_cast<int>(std::min<int64_t>(runThreads(), slivers)) : 1;
  const auto part = [&](int t) {
    const int64_t j0 = t * slivers / tasks * k.nr, j1 = std::min(nc, (t + 1) * slivers / tasks * k.nr);
    packPanelB(b + j0 * bcs, brs, bcs, kc, j1 - j0, k.nr, pb + j0 * kc);
  };
  if (tasks > 1)
    poolRun(tasks, part);
  else
    part(0);
}

// With `parallel`, each packed B panel is shared (packed by every thread, a part each) and the
// pool's threads take even ranges of A's rows.
void driver(const SimdKernels& k, bool ta, bool tb, int64_t m, int64_t n, int64_t kk, const float* a, int64_t lda,
            const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate, bool parallel) {
  const int64_t brs = tb ? 1 : ldb, bcs = tb ? ldb : 1;
  const int64_t kcMax = std::min<int64_t>(k.kc, kk);
  const int64_t ncMax = std::min<int64_t>(k.nc, (n + k.nr - 1) / k.nr * k.nr);
  float* pb = tlsPackB.get(static_cast<size_t>(kcMax * ncMax));
  const RowSplit rows = rowSplit(k, m, parallel ? runThreads() : 1);
  for (int64_t jc = 0; jc < n; jc += k.nc) {
    const int64_t nc = std::min<int64_t>(k.nc, n - jc);
    for (int64_t pc = 0; pc < kk; pc += k.kc) {
      const int64_t kc = std::min<int64_t>(k.kc, kk - pc);
      packPanel(k, b + pc * brs + jc * bcs, brs, bcs, kc, nc, pb, parallel);
      const bool add = accumulate || pc > 0;
      auto block = [&](int i) {
        const int64_t ic = rows.begin(i);
        blockTimesPanel(k, ta, ic, rows.begin(i + 1) - ic, pc, kc, jc, nc, a, lda, pb, c, ldc, add);
      };
      if (parallel)
        poolRun(static_cast<int>(rows.tasks), block);
      else
        for (int i = 0; i < rows.tasks; i++) block(i);
    }
  }
}

// C = [C +] op(A)·op(B) for m ≤ kSmallM without packing, row by row: dot products with B's rows
// when B is transposed, else the row's sum of B's rows with C's row in registers (gemvT); either
// way B streams once from memory per row.
void smallM(const SimdKernels& k, bool ta, bool tb, int64_t m, int64_t n, int64_t kk, const float* a, int64_t lda,
            const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  const int64_t ars = ta ? 1 : lda;
  std::vector<float> row;
  if (ta) row.resize(kk);
  for (int64_t i = 0; i < m; i++) {
    float* crow = c + i * ldc;
    const float* arow = a + i * ars;
    if (ta) {
      for (int64_t p = 0; p < kk; p++) row[p] = a[i + p * lda];
      arow = row.data();
    }
    if (!tb) {
      k.gemvT(n, kk, arow, b, ldb, crow, accumulate);
      continue;
    }
    const GemvPart part{b, ldb, arow, kk};
    k.gemv(n, &part, 1, crow, accumulate);
  }
}

#if !defined(__wasm__)  // the WebAssembly build never splits k (sgemmParallel)
// A long k and a small C (a weight gradient summed over every time step): each of `tasks` takes a
// range of k into a C of its own, and the copies are added into c in task order, so the result
// does not depend on which thread ran which range. Each thread packs only its own rows of B.
void splitK(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
            int64_t ldb, float* c, int64_t ldc, bool accumulate, int tasks) {
  const int64_t acs = ta ? lda : 1, brs = tb ? 1 : ldb, size = m * n;
  const int64_t chunk = (k + tasks - 1) / tasks;
  float* partial = tlsPartials.get(static_cast<size_t>(tasks * size));
  poolRun(tasks, [&](int t) {
    const int64_t lo = std::min(k, t * chunk), cnt = std::min(chunk, k - lo);
    sgemm(ta, tb, m, n, cnt, a + lo * acs, lda, b + lo * brs, ldb, partial + t * size, n, false);
  });
  for (int64_t i = 0; i < m; i++) {
    float* row = c + i * ldc;
    if (!accumulate) std::memset(row, 0, n * sizeof(float));
    for (int t = 0; t < tasks; t++) {
      const float* p = partial + t * size + i * n;
      for (int64_t j = 0; j < n; j++) row[j] += p[j];
    }
  }
}
#endif

// A few rows times a transposed B this large (a batch-1 output layer over a vocabulary: V × H
// floats) split B's rows in two, one half for a worker if one is spinning from a recent job
// (poolRunSpinning never waits for a thread to wake): each core streams half of B, and keeps it in
// its own L2 from one call to the next when a half fits there.
constexpr int64_t kGemvSplitBytes = 96 << 10;

void gemvSplit(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
               int64_t ldc, bool accumulate) {
  // The split lies on a whole block of rows of every instruction set's matrix-vector product, so
  // every element is the sum it would be unsplit.
  const int64_t half = (n / 2 + 15) / 16 * 16;
  poolRunSpinning(2, [&](int t) {
    const int64_t j0 = t ? half : 0, j1 = t ? n : half;
    if (j1 > j0) smallM(simd(), false, true, m, j1 - j0, k, a, lda, b + j0 * ldb, ldb, c + j0, ldc, accumulate);
  });
}

}  // namespace

void sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < m; i++) std::memset(c + i * ldc, 0, n * sizeof(float));
    return;
  }
  const SimdKernels& kern = simd();
  if (m <= kSmallM)
    smallM(kern, ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
  else
    driver(kern, ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate, false);
}

#if defined(__wasm__)
// The WebAssembly build splits a large product only where every element of C is computed as the
// one-thread build computes it: A's MC blocks against shared panels of B, or ranges of C's columns
// (m > kSmallM either way, so no part takes the small-M path the whole would not). Never k.
static bool wasmSplit(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
               int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  const int threads = wasm::threadCount();
  if (threads == 1 || 2.0 * m * n * k < 4e6 || k <= 0 || m <= kSmallM) return false;
  const SimdKernels& kern = simd();
  if ((m + kern.mc - 1) / kern.mc >= 2 * threads) {
    driver(kern, ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate, true);
    return true;
  }
  const int64_t bcs = tb ? ldb : 1;
  int64_t chunk = (n + 2 * threads - 1) / (2 * threads);
  chunk = (chunk + kern.nr - 1) / kern.nr * kern.nr;
  if (chunk >= n) return false;
  const int tasks = static_cast<int>((n + chunk - 1) / chunk);
  poolRun(tasks, [&](int t) {
    const int64_t lo = t * chunk;
    sgemm(ta, tb, m, std::min(chunk, n - lo), k, a, lda, b + lo * bcs, ldb, c + lo, ldc, accumulate);
  });
  return true;
}
#endif

void sgemmParallel(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                   const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate) {
#if defined(__wasm__)
  if (!wasmSplit(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate))
    sgemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
#else
  const int threads = poolSize();
  if (threads > 1 && m <= kSmallM && !ta && tb && n * k * static_cast<int64_t>(sizeof(float)) >= kGemvSplitBytes) {
    gemvSplit(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    return;
  }
  // Below ~4 MFLOP the hand-off costs more than the second core gains.
  if (threads == 1 || 2.0 * m * n * k < 4e6 || k <= 0) {
    sgemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    return;
  }
  // Enough MC blocks of A for every thread: share each packed B panel and hand out the blocks.
  const SimdKernels& kern = simd();
  if (m > kSmallM && (m + kern.mc - 1) / kern.mc >= 2 * threads) {
    driver(kern, ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate, true);
    return;
  }
  // k the longest side by far and C small: split k.
  if (k >= 4 * std::max(m, n) && m * n * threads <= (1 << 20)) {
    splitK(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate, threads);
    return;
  }
  const int64_t ars = ta ? 1 : lda, bcs = tb ? ldb : 1;
  // Otherwise split the longer side into chunks aligned to every micro-kernel's MR (24) or NR
  // (32), about four per thread, handed out dynamically so a thread the OS delays does not hold
  // up the rest.
  const bool byRows = m >= n;
  const int64_t len = byRows ? m : n, align = byRows ? 24 : 32;
  int64_t chunk = (len + 4 * threads - 1) / (4 * threads);
  chunk = (chunk + align - 1) / align * align;
  const int tasks = static_cast<int>((len + chunk - 1) / chunk);
  poolRun(tasks, [&](int t) {
    const int64_t lo = t * chunk, cnt = std::min(chunk, len - lo);
    if (byRows)
      sgemm(ta, tb, cnt, n, k, a + lo * ars, lda, b, ldb, c + lo * ldc, ldc, accumulate);
    else
      sgemm(ta, tb, m, cnt, k, a, lda, b + lo * bcs, ldb, c + lo, ldc, accumulate);
  });
#endif
}

void sgemv(int64_t n, const float* w1, int64_t ld1, const float* x1, int64_t k1, const float* w2, int64_t ld2,
           const float* x2, int64_t k2, float* y, bool accumulate) {
  if (n <= 0) return;
  const GemvPart parts[2] = {{w1, ld1, x1, k1}, {w2, ld2, x2, k2}};
  simd().gemv(n, parts, w2 ? 2 : 1, y, accumulate);
}

void packB(bool tb, int64_t k, int64_t n, const float* b, int64_t ldb, int64_t rows, PackedB& out) {
  const Isa isa = activeIsa();
  const SimdKernels& kern = simd();
  out.k = k;
  out.n = n;
  out.tb = tb;
  out.b = b;
  out.ldb = ldb;
  out.packed = false;
  if (rows <= kSmallM || n > kern.nc || k <= 0 || n <= 0) return;
  const int64_t brs = tb ? 1 : ldb, bcs = tb ? ldb : 1;
  out.ncPad = (n + kern.nr - 1) / kern.nr * kern.nr;
  out.data.resize(static_cast<size_t>(k * out.ncPad));
  for (int64_t pc = 0; pc < k; pc += kern.kc)
    packPanelB(b + pc * brs, brs, bcs, std::min<int64_t>(kern.kc, k - pc), n, kern.nr,
               out.data.data() + pc * out.ncPad);
  out.isa = isa;
  out.packed = true;
}

void sgemmPacked(int64_t m, const float* a, int64_t lda, const PackedB& pb, float* c, int64_t ldc, bool accumulate) {
  const int64_t n = pb.n, k = pb.k;
  if (m <= 0 || n <= 0) return;
  if (!pb.packed || pb.isa != activeIsa()) {
    sgemm(false, pb.tb, m, n, k, a, lda, pb.b, pb.ldb, c, ldc, accumulate);
    return;
  }
  const SimdKernels& kern = simd();
  const int64_t kcMax = std::min<int64_t>(kern.kc, k);
  const RowSplit rows = rowSplit(kern, m, 1);
  float* pa = tlsPackA.get(static_cast<size_t>(kcMax * kern.mc));
  for (int64_t pc = 0; pc < k; pc += kern.kc) {
    const int64_t kc = std::min<int64_t>(kern.kc, k - pc);
    const float* panel = pb.data.data() + pc * pb.ncPad;
    const bool add = accumulate || pc > 0;
    for (int64_t t = 0; t < rows.tasks; t++) {
      const int64_t ic = rows.begin(t), mc = rows.begin(t + 1) - ic;
      macroKernel(kern, mc, n, kc, blockOfA(kern, false, a, lda, ic, mc, pc, kc, pa), panel, c + ic * ldc, ldc, add);
    }
  }
}

// The contract's gemm: offsets into the caller's arrays, split over the pool when large.
void gemm(const GemmArgs& a) {
  sgemmParallel(a.transA, a.transB, a.m, a.n, a.k, a.a.data + a.aOff, a.lda, a.b.data + a.bOff, a.ldb,
                a.c.data + a.cOff, a.ldc, a.accumulate);
}

}  // namespace kioku
