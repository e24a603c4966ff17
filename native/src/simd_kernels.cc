// The SIMD kernels, written once against isa/isa.h and compiled once per instruction set (the
// build compiles this file with -mavx512f…, -mavx2 -mfma, for NEON, and as plain C++): the GEMM
// micro-kernel, the matrix-vector products of a batch-1 step (both orientations), every recurrent
// cell's gate loop and the row hash of the searches for repeated rows. Each build fills the table
// kioku::<isa>::kKernels that simd.cc dispatches through.
//
// Only isa/ headers, recurrent/gates.h and plain declarations are included here: an inline function
// from a shared header compiled with AVX-512 enabled could otherwise replace the baseline copy for
// the whole program at link time.
#include <stdint.h>

#include "isa/isa.h"
#include "recurrent/gates.h"
#include "simd.h"

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_ps(), which -Wmaybe-uninitialized
// reports wherever they are inlined; the values are fully defined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define KIOKU_PRAGMA(x) _Pragma(#x)
#define KIOKU_UNROLL(n) KIOKU_PRAGMA(GCC unroll n)

namespace kioku {
namespace KIOKU_ISA_NS {
namespace {

inline int64_t minOf(int64_t a, int64_t b) { return a < b ? a : b; }

// The columns j of a row, a vector at a time; the last H mod kLanes go through one partial vector,
// so every element takes the same arithmetic whatever its position.
struct Full {
  int64_t j;
  V ld(const float* p) const { return load(p + j); }
  void st(float* p, V v) const { store(p + j, v); }
};
struct Tail {
  int64_t j;
  int n;
  V ld(const float* p) const { return loadN(p + j, n); }
  void st(float* p, V v) const { storeN(p + j, v, n); }
};
template <class Body>
inline void forLanes(int64_t n, const Body& body) {
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) body(Full{j});
  if (j < n) body(Tail{j, static_cast<int>(n - j)});
}

// ---- GEMM micro-kernel: the MR × (kTileVecs · kLanes) tile of C += sliver(A) · sliver(B) ----
// MR is kTileRows but for the bottom edge of C, where an instruction set that defines
// KIOKU_ISA_EDGE_ROWS runs the rows left in place of a full tile into scratch.

#ifdef KIOKU_ISA_EDGE_ROWS
static_assert(kTileRows <= kMaxEdgeRows, "microEdge holds the rows below one tile");
#endif

template <int MR>
void microRows(int64_t kc, const float* pa, int64_t rs, int64_t cs, const float* pb, float* c, int64_t ldc,
               bool accumulate) {
  constexpr int NV = kTileVecs;
  V acc[MR][NV];
  KIOKU_UNROLL(8)
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = zero();
  // Each row's offset once, so the loop's broadcasts are base + constant register addressing.
  int64_t off[MR];
  KIOKU_UNROLL(8)
  for (int r = 0; r < MR; r++) off[r] = r * rs;
  // C's tile is read or written only after the loop: fetch it meanwhile.
  KIOKU_UNROLL(8)
  for (int r = 0; r < MR; r++) {
    __builtin_prefetch(c + r * ldc, 1);
    __builtin_prefetch(c + r * ldc + NV * kLanes - 1, 1);
  }
  for (int64_t p = 0; p < kc; p++, pa += cs, pb += NV * kLanes) {
    V b[NV];
    for (int v = 0; v < NV; v++) b[v] = load(pb + v * kLanes);
    KIOKU_UNROLL(8)
    for (int r = 0; r < MR; r++) {
      const V a = set1(pa[off[r]]);
      for (int v = 0; v < NV; v++) acc[r][v] = fmadd(a, b[v], acc[r][v]);
    }
  }
  KIOKU_UNROLL(8)
  for (int r = 0; r < MR; r++) {
    float* row = c + r * ldc;
    for (int v = 0; v < NV; v++) {
      V x = acc[r][v];
      if (accumulate) x = add(x, load(row + v * kLanes));
      store(row + v * kLanes, x);
    }
  }
}

// ---- matrix-vector products (a batch-1 recurrent step) ----
// A block of kLanes rows keeps one accumulator per row over k; sumLanes then folds the block's
// accumulators into one vector of row sums.

// acc[r] += W(row r)·x for the kLanes rows at w + off[r] (lanes hold partial sums).
inline void dotRows(V* acc, const float* w, const int64_t* off, const float* x, int64_t k) {
  int64_t p = 0;
  for (; p + kLanes <= k; p += kLanes) {
    const V xv = load(x + p);
    KIOKU_UNROLL(16)
    for (int r = 0; r < kLanes; r++) acc[r] = fmadd(load(w + off[r] + p), xv, acc[r]);
  }
  if (p == k) return;
  const int tail = static_cast<int>(k - p);
  const V xv = loadN(x + p, tail);
  KIOKU_UNROLL(16)
  for (int r = 0; r < kLanes; r++) acc[r] = fmadd(loadN(w + off[r] + p, tail), xv, acc[r]);
}

#ifdef KIOKU_ISA_ROTATE
// How many floats past a vector boundary every row of W starts (W's rows are ld apart), or 0 when
// they do not all share one offset (dotRowsShifted is then not used).
inline int rowShift(const float* w, int64_t ld) {
  const uintptr_t p = reinterpret_cast<uintptr_t>(w);
  if (ld % kLanes != 0 || p % sizeof(float) != 0) return 0;
  return static_cast<int>(p / sizeof(float) % kLanes);
}

// dotRows for rows that start a > 0 floats past a vector boundary (a JavaScript array's data need
// not be 64-byte aligned): W read in whole aligned vectors, so that no load straddles two cache
// lines (which cost a streaming step about a fifth more time), against x shifted by a. Lane L
// then accumulates the elements ≡ L − a (mod kLanes) in the order dotRows' lane L − a does: the
// accumulators must be in frame a (toFrame), and rotated back to frame 0 they hold dotRows' result
// bit for bit (the lanes past either end add 0·0, which leaves a sum that started from +0 unchanged).
inline void dotRowsShifted(V* acc, const float* w, const int64_t* off, const float* x, int64_t k, int a) {
  const float *wa = w - a, *xa = x - a;
  const int64_t end = k + a;
  const auto lanes = [&](int64_t q, int lo, int hi) {
    const V xv = loadLanes(xa + q, lo, hi);
    KIOKU_UNROLL(16)
    for (int r = 0; r < kLanes; r++) acc[r] = fmadd(loadLanes(wa + off[r] + q, lo, hi), xv, acc[r]);
  };
  lanes(0, a, static_cast<int>(minOf(kLanes, end)));
  int64_t q = kLanes;
  for (; q + kLanes <= end; q += kLanes) {
    const V xv = load(xa + q);
    KIOKU_UNROLL(16)
    for (int r = 0; r < kLanes; r++) acc[r] = fmadd(load(wa + off[r] + q), xv, acc[r]);
  }
  if (q < end) lanes(q, 0, static_cast<int>(end - q));
}

// Moves accumulators from frame `from` to frame `to`, where frame f has in lane L what dotRows'
// lane L − f holds. Rotating once per change of frame, not into and back for every part, keeps a
// streaming step's two parts (W_ih and W_hh, usually at one offset) from paying four rotations
// of every accumulator per block of rows.
inline void toFrame(V* acc, int from, int to) {
  if (from == to) return;
  const Rotation r = rotation((from - to + kLanes) % kLanes);
  KIOKU_UNROLL(16)
  for (int i = 0; i < kLanes; i++) acc[i] = rotate(acc[i], r);
}
#endif

void gemv(int64_t n, const GemvPart* parts, int32_t count, float* y, bool accumulate) {
  for (int64_t j = 0; j < n; j += kLanes) {
    const int rows = static_cast<int>(minOf(kLanes, n - j));
    V acc[kLanes];
    KIOKU_UNROLL(16)
    for (int r = 0; r < kLanes; r++) acc[r] = zero();
#ifdef KIOKU_ISA_ROTATE
    int frame = 0;
#endif
    for (int32_t i = 0; i < count; i++) {
      const GemvPart& part = parts[i];
      // An empty part adds nothing, and its rows and x may point nowhere (a 0-wide input): even a
      // load masked to no lanes costs a microcode assist at an unmapped address (2 µs a step of LSTM(0, 64)).
      if (part.k == 0) continue;
      // Rows past n repeat the last row; their sums are not stored.
      int64_t off[kLanes];
      for (int r = 0; r < kLanes; r++) off[r] = minOf(r, rows - 1) * part.ld;
      const float* w = part.w + j * part.ld;
#ifdef KIOKU_ISA_ROTATE
      const int a = rowShift(w, part.ld);
      // Before the first part the sums are +0 in every frame.
      if (i > 0) toFrame(acc, frame, a);
      frame = a;
      if (a) {
        dotRowsShifted(acc, w, off, part.x, part.k, a);
        continue;
      }
#endif
      dotRows(acc, w, off, part.x, part.k);
    }
#ifdef KIOKU_ISA_ROTATE
    toFrame(acc, frame, 0);
#endif
    V s = sumLanes(acc);
    if (rows == kLanes) {
      if (accumulate) s = add(s, load(y + j));
      store(y + j, s);
    } else {
      if (accumulate) s = add(s, loadN(y + j, rows));
      storeN(y + j, s, rows);
    }
  }
}

// ---- y(n) = [y +] xᵀ·B with B (k × n) row-major: a row of a small product whose B is not transposed
// (a batch-1 BPTT step's dh = dg · W_hh). NV vectors of y stay in registers over the whole of k, in
// two sets fed by even and odd rows of B so that two FMA chains overlap; one pass over B per block.

// The block of NV vectors at y; with kPartial its last vector holds only `last` lanes.
template <int NV, bool kPartial>
inline void gemvTBlock(int64_t k, const float* x, const float* b, int64_t ldb, float* y, int last, bool accumulate) {
  const auto ld = [last](const float* p, int v) { return kPartial && v == NV - 1 ? loadN(p, last) : load(p); };
  V even[NV], odd[NV];
  for (int v = 0; v < NV; v++) {
    even[v] = accumulate ? ld(y + v * kLanes, v) : zero();
    odd[v] = zero();
  }
  int64_t p = 0;
  for (; p + 2 <= k; p += 2, b += 2 * ldb) {
    const V a0 = set1(x[p]), a1 = set1(x[p + 1]);
    for (int v = 0; v < NV; v++) {
      even[v] = fmadd(a0, ld(b + v * kLanes, v), even[v]);
      odd[v] = fmadd(a1, ld(b + ldb + v * kLanes, v), odd[v]);
    }
  }
  if (p < k) {
    const V a0 = set1(x[p]);
    for (int v = 0; v < NV; v++) even[v] = fmadd(a0, ld(b + v * kLanes, v), even[v]);
  }
  for (int v = 0; v < NV; v++) {
    const V s = add(even[v], odd[v]);
    if (kPartial && v == NV - 1)
      storeN(y + v * kLanes, s, last);
    else
      store(y + v * kLanes, s);
  }
}

void gemvT(int64_t n, int64_t k, const float* x, const float* b, int64_t ldb, float* y, bool accumulate) {
  constexpr int NV = 4;
  int64_t j = 0;
  for (; j + NV * kLanes <= n; j += NV * kLanes) gemvTBlock<NV, false>(k, x, b + j, ldb, y + j, kLanes, accumulate);
  for (; j + kLanes <= n; j += kLanes) gemvTBlock<1, false>(k, x, b + j, ldb, y + j, kLanes, accumulate);
  if (j < n) gemvTBlock<1, true>(k, x, b + j, ldb, y + j, static_cast<int>(n - j), accumulate);
}

// ---- gate loops: one sample's step of each cell (equations in recurrent/cells.h) ----

void lstmForward(int64_t H, const LstmStepFwd& s) {
  const auto x = lstmGates(s.xw, H);
  const auto g = lstmGates(s.gates, H);
  const auto hw = lstmGates(s.hw, H);
  const auto b = lstmGates(s.bias, H);
  // Two passes, each of independent chains the processor overlaps across columns: tanh(c) waits on
  // i, f and g, and one pass holding every chain is too long for it to reach the next columns.
  forLanes(H, [&](auto L) {
    const V i = sigmoidFast(add(add(L.ld(x.i), L.ld(hw.i)), L.ld(b.i)));
    const V f = sigmoidFast(add(add(L.ld(x.f), L.ld(hw.f)), L.ld(b.f)));
    const V cand = tanhFast(add(add(L.ld(x.g), L.ld(hw.g)), L.ld(b.g)));
    const V c = fmadd(f, L.ld(s.c), mul(i, cand));
    L.st(g.i, i);
    L.st(g.f, f);
    L.st(g.g, cand);
    L.st(s.c, c);
    L.st(s.cell, c);
  });
  forLanes(H, [&](auto L) {
    const V o = sigmoidFast(add(add(L.ld(x.o), L.ld(hw.o)), L.ld(b.o)));
    const V h = mul(o, tanhFast(L.ld(s.c)));
    L.st(g.o, o);
    L.st(s.h1, h);
    L.st(s.h2, h);
  });
}

void lstmBackward(int64_t H, const LstmStepBwd& s) {
  const auto g = lstmGates(s.gates, H);
  const auto dg = lstmGates(s.dg, H);
  const V one = set1(1.0f);
  forLanes(H, [&](auto L) {
    const V i = L.ld(g.i), f = L.ld(g.f), cand = L.ld(g.g), o = L.ld(g.o);
    const V tc = tanhFast(L.ld(s.cell));
    const V dh = s.dOut ? add(L.ld(s.dh), L.ld(s.dOut)) : L.ld(s.dh);
    const V dcT = fmadd(mul(dh, o), fnmadd(tc, tc, one), L.ld(s.dc));
    L.st(s.dc, mul(dcT, f));
    L.st(dg.i, mul(mul(mul(dcT, cand), i), sub(one, i)));
    L.st(dg.f, mul(mul(mul(dcT, L.ld(s.cPrev)), f), sub(one, f)));
    L.st(dg.g, mul(mul(dcT, i), fnmadd(cand, cand, one)));
    L.st(dg.o, mul(mul(mul(dh, tc), o), sub(one, o)));
    // The state's gradient now flows only through the recurrent product.
    L.st(s.dh, zero());
  });
}

void gruForward(int64_t H, const GruStepFwd& s) {
  const auto x = gruGates(s.xw, H);
  const auto g = gruGates(s.gates, H);
  const auto hw = gruGates(s.hw, H);
  const auto b = gruGates(s.bias, H);
  const V one = set1(1.0f);
  forLanes(H, [&](auto L) {
    const V r = sigmoidFast(add(add(L.ld(x.r), L.ld(hw.r)), L.ld(b.r)));
    const V z = sigmoidFast(add(add(L.ld(x.z), L.ld(hw.z)), L.ld(b.z)));
    const V hn = s.bHn ? add(L.ld(hw.n), L.ld(s.bHn)) : L.ld(hw.n);
    const V n = tanhFast(fmadd(r, hn, add(L.ld(x.n), L.ld(b.n))));
    const V h = fmadd(sub(one, z), n, mul(z, L.ld(s.h)));
    L.st(g.r, r);
    L.st(g.z, z);
    L.st(g.n, n);
    L.st(g.hn, hn);
    L.st(s.h, h);
    L.st(s.out, h);
  });
}

void gruBackward(int64_t H, const GruStepBwd& s) {
  const auto g = gruGates(s.gates, H);
  const auto dx = gruGates(s.dgx, H);
  const auto dr = gruGates(s.dgh, H);
  const V one = set1(1.0f);
  forLanes(H, [&](auto L) {
    const V d = s.dOut ? add(L.ld(s.dh), L.ld(s.dOut)) : L.ld(s.dh);
    const V r = L.ld(g.r), z = L.ld(g.z), n = L.ld(g.n), hn = L.ld(g.hn);
    const V dN = mul(mul(d, sub(one, z)), fnmadd(n, n, one));
    const V dR = mul(mul(mul(dN, hn), r), sub(one, r));
    const V dZ = mul(mul(mul(d, sub(L.ld(s.hPrev), n)), z), sub(one, z));
    L.st(dx.r, dR);
    L.st(dx.z, dZ);
    L.st(dx.n, dN);
    L.st(dr.r, dR);
    L.st(dr.z, dZ);
    L.st(dr.n, mul(dN, r));
    // The direct path z ⊙ h; the recurrent product is added after.
    L.st(s.dh, mul(d, z));
  });
}

void rnnForward(int64_t H, bool relu, const RnnStepFwd& s) {
  forLanes(H, [&](auto L) {
    const V v = add(add(L.ld(s.xw), L.ld(s.hw)), L.ld(s.bias));
    const V y = relu ? vmax(zero(), v) : tanhFast(v);  // relu keeps NaN, as in PyTorch
    L.st(s.out, y);
    L.st(s.h, y);
  });
}

void rnnBackward(int64_t H, bool relu, const RnnStepBwd& s) {
  const V one = set1(1.0f);
  forLanes(H, [&](auto L) {
    const V d = s.dOut ? add(L.ld(s.dh), L.ld(s.dOut)) : L.ld(s.dh);
    const V y = L.ld(s.y);
    L.st(s.dPre, relu ? ifPositive(y, d) : mul(d, fnmadd(y, y, one)));
    L.st(s.dh, zero());
  });
}

// ---- A row's hash (row_hash.h): 16 lanes of 32 bits, lane j over floats j, j + 16, …, folded into
// 64 bits at the end. Integer arithmetic only, so every instruction set gives the same value; the
// lanes are independent, so a vector instruction set hashes 8 or 16 floats per multiply.

constexpr uint32_t kLaneMul = 0x9E3779B1u;
constexpr uint64_t kFoldMul = 0x9E3779B97F4A7C15ull;

inline uint32_t bitsOf(const float* p) {
  uint32_t w;
  __builtin_memcpy(&w, p, sizeof w);
  return w;
}

// The lanes after the whole blocks of 16, with the `rest` (< 16) floats left, folded into the hash.
uint64_t foldLanes(uint32_t* h, const float* rest, int64_t n) {
  for (int64_t j = 0; j < n; j++) h[j] = (h[j] ^ bitsOf(rest + j)) * kLaneMul;
  uint64_t a[4] = {1, 2, 3, 4};
  for (int j = 0; j < 8; j++) a[j & 3] = (a[j & 3] ^ (uint64_t{h[2 * j]} << 32 | h[2 * j + 1])) * kFoldMul;
  const uint64_t r = a[0] ^ (a[1] << 17 | a[1] >> 47) ^ (a[2] << 31 | a[2] >> 33) ^ (a[3] << 47 | a[3] >> 17);
  return (r ^ (r >> 29)) * kFoldMul;
}

uint64_t rowHash(const float* row, int64_t E) {
  uint32_t h[16];
  int64_t i = 0;
#ifdef KIOKU_ISA_SCALAR
  for (int j = 0; j < 16; j++) h[j] = static_cast<uint32_t>(j + 1);
  for (; i + 16 <= E; i += 16)
    for (int j = 0; j < 16; j++) h[j] = (h[j] ^ bitsOf(row + i + j)) * kLaneMul;
#else
  typedef uint32_t Lanes8 __attribute__((vector_size(32)));
  Lanes8 h0 = {1, 2, 3, 4, 5, 6, 7, 8}, h1 = {9, 10, 11, 12, 13, 14, 15, 16};
  for (; i + 16 <= E; i += 16) {
    Lanes8 w0, w1;
    __builtin_memcpy(&w0, row + i, sizeof w0);
    __builtin_memcpy(&w1, row + i + 8, sizeof w1);
    h0 = (h0 ^ w0) * kLaneMul;
    h1 = (h1 ^ w1) * kLaneMul;
  }
  __builtin_memcpy(h, &h0, sizeof h0);
  __builtin_memcpy(h + 8, &h1, sizeof h1);
#endif
  return foldLanes(h, row + i, E - i);
}

}  // namespace

#define KIOKU_STR2(x) #x
#define KIOKU_STR(x) KIOKU_STR2(x)

extern const SimdKernels kKernels;
const SimdKernels kKernels = {
    KIOKU_STR(KIOKU_ISA_NS),
    kTileRows,
    kTileVecs * kLanes,
    256,
    16 * kTileRows,
    (2048 + kTileVecs * kLanes - 1) / (kTileVecs * kLanes) * (kTileVecs * kLanes),  // NC, a multiple of NR
    microRows<kTileRows>,
#ifdef KIOKU_ISA_EDGE_ROWS
    {nullptr, microRows<1>, microRows<2>, microRows<3>, microRows<4>, microRows<5>},
#else
    {},
#endif
    gemv,
    gemvT,
    lstmForward,
    lstmBackward,
    gruForward,
    gruBackward,
    rnnForward,
    rnnBackward,
    rowHash,
};

}  // namespace KIOKU_ISA_NS
}  // namespace kioku
