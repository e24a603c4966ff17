#include "gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "pool.h"

namespace kioku {
namespace {

#define KIOKU_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define KIOKU_AVX2 __attribute__((target("avx2,fma")))

// pa advances by `as` floats per step of k: MR for a packed sliver, lda when A is read in place.
using MicroFn = void (*)(long kc, const float* pa, long as, const float* pb, float* c, long ldc, bool add);

// Goto/BLIS blocking: a KC×NC panel of B and an MC×KC block of A are packed into NR- and
// MR-wide slivers (zero-padded) so the register-blocked micro-kernel streams both linearly.
struct Blocking {
  int mr, nr, kc, mc, nc;
  MicroFn micro;
};

// ---- micro-kernels: MR×NR of C += sliver(A) · sliver(B) over kc ----

KIOKU_AVX512 void microAvx512(long kc, const float* pa, long as, const float* pb, float* c, long ldc, bool add) {
  // 8×32: 16 zmm accumulators, 2 B vectors, 1 broadcast A.
  __m512 c0[8], c1[8];
#pragma GCC unroll 8
  for (int r = 0; r < 8; r++) c0[r] = c1[r] = _mm512_setzero_ps();
  for (long p = 0; p < kc; p++, pa += as, pb += 32) {
    const __m512 b0 = _mm512_loadu_ps(pb);
    const __m512 b1 = _mm512_loadu_ps(pb + 16);
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) {
      const __m512 av = _mm512_set1_ps(pa[r]);
      c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
      c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < 8; r++) {
    float* row = c + r * ldc;
    if (add) {
      c0[r] = _mm512_add_ps(c0[r], _mm512_loadu_ps(row));
      c1[r] = _mm512_add_ps(c1[r], _mm512_loadu_ps(row + 16));
    }
    _mm512_storeu_ps(row, c0[r]);
    _mm512_storeu_ps(row + 16, c1[r]);
  }
}

KIOKU_AVX2 void microAvx2(long kc, const float* pa, long as, const float* pb, float* c, long ldc, bool add) {
  // 6×16: 12 ymm accumulators, 2 B vectors, 1 broadcast A.
  __m256 c0[6], c1[6];
#pragma GCC unroll 6
  for (int r = 0; r < 6; r++) c0[r] = c1[r] = _mm256_setzero_ps();
  for (long p = 0; p < kc; p++, pa += as, pb += 16) {
    const __m256 b0 = _mm256_loadu_ps(pb);
    const __m256 b1 = _mm256_loadu_ps(pb + 8);
#pragma GCC unroll 6
    for (int r = 0; r < 6; r++) {
      const __m256 av = _mm256_broadcast_ss(pa + r);
      c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
      c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < 6; r++) {
    float* row = c + r * ldc;
    if (add) {
      c0[r] = _mm256_add_ps(c0[r], _mm256_loadu_ps(row));
      c1[r] = _mm256_add_ps(c1[r], _mm256_loadu_ps(row + 8));
    }
    _mm256_storeu_ps(row, c0[r]);
    _mm256_storeu_ps(row + 8, c1[r]);
  }
}

void microPortable(long kc, const float* pa, long as, const float* pb, float* c, long ldc, bool add) {
  // 4×16 in plain C++; the compiler vectorises the inner loop with the baseline SSE2.
  float acc[4][16] = {};
  for (long p = 0; p < kc; p++, pa += as, pb += 16) {
    for (int r = 0; r < 4; r++) {
      const float av = pa[r];
      for (int q = 0; q < 16; q++) acc[r][q] += av * pb[q];
    }
  }
  for (int r = 0; r < 4; r++) {
    float* row = c + r * ldc;
    if (add)
      for (int q = 0; q < 16; q++) row[q] += acc[r][q];
    else
      for (int q = 0; q < 16; q++) row[q] = acc[r][q];
  }
}

const Blocking kBlocking[] = {
    {4, 16, 256, 64, 2048, microPortable},
    {6, 16, 256, 96, 2048, microAvx2},
    {8, 32, 256, 128, 2048, microAvx512},
};

std::atomic<int> gIsa{-1};

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

// packA[(ir·kc + p)·MR + r] = A(ic + ir + r, pc + p); rows past mc are zero.
void packA(const float* a, long rs, long cs, long mc, long kc, int mr, float* out) {
  for (long ir = 0; ir < mc; ir += mr) {
    const long rows = std::min<long>(mr, mc - ir);
    float* dst = out + ir * kc;
    if (rs == 1) {
      // Transposed A: the MR rows of one p are contiguous.
      for (long p = 0; p < kc; p++) {
        const float* src = a + ir + p * cs;
        for (long r = 0; r < rows; r++) dst[p * mr + r] = src[r];
        for (long r = rows; r < mr; r++) dst[p * mr + r] = 0.f;
      }
    } else {
      for (long r = 0; r < mr; r++) {
        if (r < rows) {
          const float* src = a + (ir + r) * rs;
          for (long p = 0; p < kc; p++) dst[p * mr + r] = src[p * cs];
        } else {
          for (long p = 0; p < kc; p++) dst[p * mr + r] = 0.f;
        }
      }
    }
  }
}

// packB[(jr·kc + p)·NR + q] = B(pc + p, jc + jr + q); columns past nc are zero.
void packPanelB(const float* b, long rs, long cs, long kc, long nc, int nr, float* out) {
  for (long jr = 0; jr < nc; jr += nr) {
    const long cols = std::min<long>(nr, nc - jr);
    float* dst = out + jr * kc;
    if (cs == 1) {
      for (long p = 0; p < kc; p++) {
        const float* src = b + p * rs + jr;
        std::memcpy(dst + p * nr, src, cols * sizeof(float));
        for (long q = cols; q < nr; q++) dst[p * nr + q] = 0.f;
      }
    } else {
      for (long q = 0; q < nr; q++) {
        if (q < cols) {
          const float* src = b + (jr + q) * cs;
          for (long p = 0; p < kc; p++) dst[p * nr + q] = src[p * rs];
        } else {
          for (long p = 0; p < kc; p++) dst[p * nr + q] = 0.f;
        }
      }
    }
  }
}

// One MC×KC block of A (rows ic…ic+mc) times the packed B panel, into C.
void blockTimesPanel(const Blocking& bk, bool ta, long ic, long mc, long pc, long kc, long jc, long nc,
                     const float* a, long lda, const float* pb, float* c, long ldc, bool add) {
  const int MR = bk.mr, NR = bk.nr;
  const long ars = ta ? 1 : lda, acs = ta ? lda : 1;
  float* pa = tlsPackA.get(static_cast<size_t>(bk.kc * bk.mc));
  alignas(64) float tile[8 * 32];
  // A transposed already holds each sliver's MR values of one p contiguously: full slivers are
  // read in place (stride lda, when that stays well inside a page) and only a short last sliver
  // is packed (zero-padded). The weight-gradient products (dGᵀ·X) take this path.
  const long full = ta && lda <= 1024 ? mc / MR * MR : 0;
  packA(a + (ic + full) * ars + pc * acs, ars, acs, mc - full, kc, MR, pa + full * kc);
  for (long jr = 0; jr < nc; jr += NR) {
    const long nr = std::min<long>(NR, nc - jr);
    for (long ir = 0; ir < mc; ir += MR) {
      const long mr = std::min<long>(MR, mc - ir);
      float* cp = c + (ic + ir) * ldc + jc + jr;
      const bool direct = ir < full;
      const float* ap = direct ? a + (ic + ir) + pc * acs : pa + ir * kc;
      const long as = direct ? acs : MR;
      if (mr == MR && nr == NR) {
        bk.micro(kc, ap, as, pb + jr * kc, cp, ldc, add);
        continue;
      }
      bk.micro(kc, ap, as, pb + jr * kc, tile, NR, false);
      for (long r = 0; r < mr; r++)
        for (long q = 0; q < nr; q++) cp[r * ldc + q] = add ? cp[r * ldc + q] + tile[r * NR + q] : tile[r * NR + q];
    }
  }
}

// With `parallel`, each packed B panel is shared and the pool's threads take A's MC blocks.
void driver(const Blocking& bk, bool ta, bool tb, long m, long n, long k, const float* a, long lda,
            const float* b, long ldb, float* c, long ldc, bool accumulate, bool parallel) {
  const int NR = bk.nr;
  const long brs = tb ? 1 : ldb, bcs = tb ? ldb : 1;
  const long kcMax = std::min<long>(bk.kc, k);
  const long ncMax = std::min<long>(bk.nc, (n + NR - 1) / NR * NR);
  float* pb = tlsPackB.get(static_cast<size_t>(kcMax * ncMax));
  const int blocks = static_cast<int>((m + bk.mc - 1) / bk.mc);
  for (long jc = 0; jc < n; jc += bk.nc) {
    const long nc = std::min<long>(bk.nc, n - jc);
    for (long pc = 0; pc < k; pc += bk.kc) {
      const long kc = std::min<long>(bk.kc, k - pc);
      packPanelB(b + pc * brs + jc * bcs, brs, bcs, kc, nc, NR, pb);
      const bool add = accumulate || pc > 0;
      auto block = [&](int i) {
        const long ic = i * static_cast<long>(bk.mc);
        blockTimesPanel(bk, ta, ic, std::min<long>(bk.mc, m - ic), pc, kc, jc, nc, a, lda, pb, c, ldc, add);
      };
      if (parallel)
        poolRun(blocks, block);
      else
        for (int i = 0; i < blocks; i++) block(i);
    }
  }
}

#define KIOKU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

// y += alpha · x
KIOKU_CLONES void axpy(long n, float alpha, const float* __restrict x, float* __restrict y) {
  for (long j = 0; j < n; j++) y[j] += alpha * x[j];
}

// ---- matrix-vector products (a batch-1 recurrent step) ----
// y(n) = [y +] Σ_parts W(n×k)·x with W row-major. A block of rows keeps one accumulator per row
// over k, and the block's accumulators are summed by one transpose-and-add tree: a horizontal sum
// per row would cost as much as the products themselves.

struct GemvPart {
  const float* w;
  long ld;
  const float* x;
  long k;
};

#define KIOKU_INLINE inline __attribute__((always_inline))

// acc[r] += W(row r)·x for the 16 rows at w + off[r] (lanes hold partial sums).
KIOKU_AVX512 KIOKU_INLINE void dotRows16(__m512* acc, const float* w, const long* off, const float* x, long k) {
  long p = 0;
  for (; p + 16 <= k; p += 16) {
    const __m512 xv = _mm512_loadu_ps(x + p);
#pragma GCC unroll 16
    for (int r = 0; r < 16; r++) acc[r] = _mm512_fmadd_ps(_mm512_loadu_ps(w + off[r] + p), xv, acc[r]);
  }
  if (p == k) return;
  // Masked-off lanes are neither read nor faulted on.
  const __mmask16 m = static_cast<__mmask16>((1u << (k - p)) - 1);
  const __m512 xv = _mm512_maskz_loadu_ps(m, x + p);
#pragma GCC unroll 16
  for (int r = 0; r < 16; r++) acc[r] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w + off[r] + p), xv, acc[r]);
}

// GCC 12's AVX-512 shuffle intrinsics start from _mm512_undefined_ps(), which -Wmaybe-uninitialized
// reports once they are inlined; the values are fully defined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// Lanes (a0 + a1, a2 + a3, b0 + b1, b2 + b3) of the 128-bit lanes of a and b.
KIOKU_AVX512 KIOKU_INLINE __m512 fold4(__m512 a, __m512 b) {
  return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}

// Lane r of the result is the sum of the 16 lanes of v[r].
KIOKU_AVX512 KIOKU_INLINE __m512 sum16(const __m512* v) {
  __m512 u[8], w[4];
  // Pairs of rows: each 128-bit lane holds partials of rows (2i, 2i + 1, 2i, 2i + 1).
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++)
    u[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  // Quads: each 128-bit lane holds partials of rows 4i … 4i + 3.
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    const __m512d a = _mm512_castps_pd(u[2 * i]), b = _mm512_castps_pd(u[2 * i + 1]);
    w[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  // Sum the four 128-bit lanes of each quad, two quads at a time, then once more.
  return fold4(fold4(w[0], w[1]), fold4(w[2], w[3]));
}

KIOKU_AVX512 void gemvAvx512(long n, const GemvPart* parts, int count, float* y, bool accumulate) {
  for (long j = 0; j < n; j += 16) {
    const long rows = std::min<long>(16, n - j);
    __m512 acc[16];
#pragma GCC unroll 16
    for (int r = 0; r < 16; r++) acc[r] = _mm512_setzero_ps();
    for (int i = 0; i < count; i++) {
      const GemvPart& part = parts[i];
      // Rows past n repeat the last row; their sums are not stored.
      long off[16];
#pragma GCC unroll 16
      for (int r = 0; r < 16; r++) off[r] = std::min<long>(r, rows - 1) * part.ld;
      dotRows16(acc, part.w + j * part.ld, off, part.x, part.k);
    }
    const __mmask16 m = static_cast<__mmask16>((1u << rows) - 1);
    __m512 s = sum16(acc);
    if (accumulate) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(m, y + j));
    _mm512_mask_storeu_ps(y + j, m, s);
  }
}

#pragma GCC diagnostic pop

// Lane masks for the AVX2 tails: 8 − t entries of −1 starting at kTailMask + t.
alignas(32) const int32_t kTailMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

KIOKU_AVX2 KIOKU_INLINE void dotRows8(__m256* acc, const float* w, const long* off, const float* x, long k) {
  long p = 0;
  for (; p + 8 <= k; p += 8) {
    const __m256 xv = _mm256_loadu_ps(x + p);
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(w + off[r] + p), xv, acc[r]);
  }
  if (p == k) return;
  const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kTailMask + 8 - (k - p)));
  const __m256 xv = _mm256_maskload_ps(x + p, m);
#pragma GCC unroll 8
  for (int r = 0; r < 8; r++) acc[r] = _mm256_fmadd_ps(_mm256_maskload_ps(w + off[r] + p, m), xv, acc[r]);
}

KIOKU_AVX2 KIOKU_INLINE __m256 sum8(const __m256* v) {
  __m256 u[4], w[2];
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++)
    u[i] = _mm256_add_ps(_mm256_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm256_unpackhi_ps(v[2 * i], v[2 * i + 1]));
#pragma GCC unroll 2
  for (int i = 0; i < 2; i++) {
    const __m256d a = _mm256_castps_pd(u[2 * i]), b = _mm256_castps_pd(u[2 * i + 1]);
    w[i] = _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(a, b)), _mm256_castpd_ps(_mm256_unpackhi_pd(a, b)));
  }
  return _mm256_add_ps(_mm256_permute2f128_ps(w[0], w[1], 0x20), _mm256_permute2f128_ps(w[0], w[1], 0x31));
}

KIOKU_AVX2 void gemvAvx2(long n, const GemvPart* parts, int count, float* y, bool accumulate) {
  for (long j = 0; j < n; j += 8) {
    const long rows = std::min<long>(8, n - j);
    __m256 acc[8];
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) acc[r] = _mm256_setzero_ps();
    for (int i = 0; i < count; i++) {
      const GemvPart& part = parts[i];
      long off[8];
#pragma GCC unroll 8
      for (int r = 0; r < 8; r++) off[r] = std::min<long>(r, rows - 1) * part.ld;
      dotRows8(acc, part.w + j * part.ld, off, part.x, part.k);
    }
    const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kTailMask + 8 - rows));
    __m256 s = sum8(acc);
    if (accumulate) s = _mm256_add_ps(s, _mm256_maskload_ps(y + j, m));
    _mm256_maskstore_ps(y + j, m, s);
  }
}

// Baseline SSE2: four rows at a time, four partial sums per row.
typedef float v4 __attribute__((vector_size(16)));

void gemvPortable(long n, const GemvPart* parts, int count, float* y, bool accumulate) {
  for (long j = 0; j < n; j += 4) {
    const long rows = std::min<long>(4, n - j);
    v4 acc[4] = {};
    float tail[4] = {};
    for (int i = 0; i < count; i++) {
      const GemvPart& part = parts[i];
      const float* w[4];
      for (int r = 0; r < 4; r++) w[r] = part.w + (j + std::min<long>(r, rows - 1)) * part.ld;
      long p = 0;
      for (; p + 4 <= part.k; p += 4) {
        v4 xv;
        std::memcpy(&xv, part.x + p, sizeof xv);
        for (int r = 0; r < 4; r++) {
          v4 wv;
          std::memcpy(&wv, w[r] + p, sizeof wv);
          acc[r] += wv * xv;
        }
      }
      for (; p < part.k; p++)
        for (int r = 0; r < 4; r++) tail[r] += w[r][p] * part.x[p];
    }
    for (long r = 0; r < rows; r++) {
      const float s = (acc[r][0] + acc[r][1]) + (acc[r][2] + acc[r][3]) + tail[r];
      y[j + r] = accumulate ? y[j + r] + s : s;
    }
  }
}

void gemvParts(long n, const GemvPart* parts, int count, float* y, bool accumulate) {
  if (n <= 0) return;
  switch (activeIsa()) {
    case Isa::Avx512:
      gemvAvx512(n, parts, count, y, accumulate);
      break;
    case Isa::Avx2:
      gemvAvx2(n, parts, count, y, accumulate);
      break;
    default:
      gemvPortable(n, parts, count, y, accumulate);
  }
}

// C = [C +] op(A)·op(B) for m ≤ kSmallM without packing: axpy over B's rows, or dot products with
// B's rows when B is transposed, so B streams once from memory.
void smallM(bool ta, bool tb, long m, long n, long k, const float* a, long lda, const float* b, long ldb, float* c,
            long ldc, bool accumulate) {
  const long ars = ta ? 1 : lda, acs = ta ? lda : 1;
  std::vector<float> row;
  if (ta && tb) row.resize(k);
  for (long i = 0; i < m; i++) {
    float* crow = c + i * ldc;
    if (!tb) {
      if (!accumulate) std::memset(crow, 0, n * sizeof(float));
      for (long p = 0; p < k; p++) axpy(n, a[i * ars + p * acs], b + p * ldb, crow);
      continue;
    }
    const float* arow = a + i * ars;
    if (ta) {
      for (long p = 0; p < k; p++) row[p] = a[i + p * lda];
      arow = row.data();
    }
    const GemvPart part{b, ldb, arow, k};
    gemvParts(n, &part, 1, crow, accumulate);
  }
}

KIOKU_AVX512 double fmaLoopAvx512(long iters) {
  __m512 acc[12];
  for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (long it = 0; it < iters; it++)
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  __m512 s = acc[0];
  for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, acc[i]);
  float out[16];
  _mm512_storeu_ps(out, s);
  return out[0];
}

KIOKU_AVX2 double fmaLoopAvx2(long iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (long it = 0; it < iters; it++)
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  float out[8];
  __m256 s = acc[0];
  for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, acc[i]);
  _mm256_storeu_ps(out, s);
  return out[0];
}

double fmaLoopPortable(long iters) {
  float acc[12][4];
  for (int i = 0; i < 12; i++)
    for (int q = 0; q < 4; q++) acc[i][q] = static_cast<float>(i + q);
  for (long it = 0; it < iters; it++)
    for (int i = 0; i < 12; i++)
      for (int q = 0; q < 4; q++) acc[i][q] = acc[i][q] * 0.999999f + 1e-7f;
  double s = 0;
  for (int i = 0; i < 12; i++) s += acc[i][0];
  return s;
}

}  // namespace

Isa detectIsa() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
  return Isa::Portable;
}

Isa activeIsa() {
  int v = gIsa.load();
  if (v < 0) {
    v = static_cast<int>(detectIsa());
    gIsa.store(v);
  }
  return static_cast<Isa>(v);
}

void setActiveIsa(Isa isa) { gIsa.store(static_cast<int>(isa)); }

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    default:
      return "portable";
  }
}

void sgemm(bool ta, bool tb, long m, long n, long k, const float* a, long lda, const float* b, long ldb,
           float* c, long ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (long i = 0; i < m; i++) std::memset(c + i * ldc, 0, n * sizeof(float));
    return;
  }
  if (m <= kSmallM) {
    smallM(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    return;
  }
  driver(kBlocking[static_cast<int>(activeIsa())], ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate, false);
}

void sgemmParallel(bool ta, bool tb, long m, long n, long k, const float* a, long lda, const float* b,
                   long ldb, float* c, long ldc, bool accumulate) {
  const int threads = poolSize();
  // Below ~4 MFLOP the hand-off costs more than the second core gains.
  if (threads == 1 || 2.0 * m * n * k < 4e6 || k <= 0) {
    sgemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    return;
  }
  // Enough MC blocks of A for every thread: share each packed B panel and hand out the blocks.
  const Blocking& bk = kBlocking[static_cast<int>(activeIsa())];
  if (m > kSmallM && (m + bk.mc - 1) / bk.mc >= 2 * threads) {
    driver(bk, ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate, true);
    return;
  }
  const long ars = ta ? 1 : lda, bcs = tb ? ldb : 1;
  // Otherwise split the longer side into chunks aligned to every micro-kernel's MR (24) or NR (32), about
  // four per thread, handed out dynamically so a thread the OS delays does not hold up the rest.
  const bool byRows = m >= n;
  const long len = byRows ? m : n, align = byRows ? 24 : 32;
  long chunk = (len + 4 * threads - 1) / (4 * threads);
  chunk = (chunk + align - 1) / align * align;
  const int tasks = static_cast<int>((len + chunk - 1) / chunk);
  poolRun(tasks, [&](int t) {
    const long lo = t * chunk, cnt = std::min(chunk, len - lo);
    if (byRows)
      sgemm(ta, tb, cnt, n, k, a + lo * ars, lda, b, ldb, c + lo * ldc, ldc, accumulate);
    else
      sgemm(ta, tb, m, cnt, k, a, lda, b + lo * bcs, ldb, c + lo, ldc, accumulate);
  });
}

void sgemv(long n, const float* w1, long ld1, const float* x1, long k1, const float* w2, long ld2, const float* x2,
           long k2, float* y, bool accumulate) {
  const GemvPart parts[2] = {{w1, ld1, x1, k1}, {w2, ld2, x2, k2}};
  gemvParts(n, parts, w2 ? 2 : 1, y, accumulate);
}

void packB(bool tb, long k, long n, const float* b, long ldb, long rows, PackedB& out) {
  const int isa = static_cast<int>(activeIsa());
  const Blocking& bk = kBlocking[isa];
  out.k = k;
  out.n = n;
  out.tb = tb;
  out.b = b;
  out.ldb = ldb;
  out.isa = -1;
  if (rows <= kSmallM || n > bk.nc || k <= 0 || n <= 0) return;
  const long brs = tb ? 1 : ldb, bcs = tb ? ldb : 1;
  out.ncPad = (n + bk.nr - 1) / bk.nr * bk.nr;
  out.data.resize(static_cast<size_t>(k * out.ncPad));
  for (long pc = 0; pc < k; pc += bk.kc)
    packPanelB(b + pc * brs, brs, bcs, std::min<long>(bk.kc, k - pc), n, bk.nr, out.data.data() + pc * out.ncPad);
  out.isa = isa;
}

void sgemmPacked(long m, const float* a, long lda, const PackedB& pb, float* c, long ldc, bool accumulate) {
  const long n = pb.n, k = pb.k;
  if (m <= 0 || n <= 0) return;
  const int isa = static_cast<int>(activeIsa());
  if (pb.isa != isa) {
    sgemm(false, pb.tb, m, n, k, a, lda, pb.b, pb.ldb, c, ldc, accumulate);
    return;
  }
  const Blocking& bk = kBlocking[isa];
  const int MR = bk.mr, NR = bk.nr;
  const long kcMax = std::min<long>(bk.kc, k);
  const long mcMax = std::min<long>(bk.mc, (m + MR - 1) / MR * MR);
  float* pa = tlsPackA.get(static_cast<size_t>(kcMax * mcMax));
  alignas(64) float tile[8 * 32];
  for (long pc = 0; pc < k; pc += bk.kc) {
    const long kc = std::min<long>(bk.kc, k - pc);
    const float* panel = pb.data.data() + pc * pb.ncPad;
    const bool add = accumulate || pc > 0;
    for (long ic = 0; ic < m; ic += bk.mc) {
      const long mc = std::min<long>(bk.mc, m - ic);
      packA(a + ic * lda + pc, lda, 1, mc, kc, MR, pa);
      for (long jr = 0; jr < n; jr += NR) {
        const long nr = std::min<long>(NR, n - jr);
        for (long ir = 0; ir < mc; ir += MR) {
          const long mr = std::min<long>(MR, mc - ir);
          float* cp = c + (ic + ir) * ldc + jr;
          if (mr == MR && nr == NR) {
            bk.micro(kc, pa + ir * kc, MR, panel + jr * kc, cp, ldc, add);
            continue;
          }
          bk.micro(kc, pa + ir * kc, MR, panel + jr * kc, tile, NR, false);
          for (long r = 0; r < mr; r++)
            for (long q = 0; q < nr; q++)
              cp[r * ldc + q] = add ? cp[r * ldc + q] + tile[r * NR + q] : tile[r * NR + q];
        }
      }
    }
  }
}

double peakGflops(int threads, double seconds) {
  threads = std::min(threads, poolSize());
  const Isa isa = activeIsa();
  const int lanes = isa == Isa::Avx512 ? 16 : isa == Isa::Avx2 ? 8 : 4;
  const long iters = 1 << 20;
  std::atomic<double> sink{0};
  std::vector<double> rates(threads, 0);
  poolRun(threads, [&](int t) {
    double best = 0;
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const auto t0 = std::chrono::steady_clock::now();
      const double r = isa == Isa::Avx512 ? fmaLoopAvx512(iters)
                       : isa == Isa::Avx2 ? fmaLoopAvx2(iters)
                                          : fmaLoopPortable(iters);
      const auto t1 = std::chrono::steady_clock::now();
      sink.store(sink.load() + r);
      const double dt = std::chrono::duration<double>(t1 - t0).count();
      best = std::max(best, 2.0 * 12 * lanes * iters / dt / 1e9);
      if (std::chrono::duration<double>(t1 - start).count() > seconds) break;
    }
    rates[t] = best;
  });
  double total = 0;
  for (double r : rates) total += r;
  return total;
}

}  // namespace kioku

