// Run-time instruction-set selection. The SIMD kernels (simd_kernels.cc) are compiled once per
// instruction set into a table of function pointers; everything that loops over floats in a hot
// path calls through the active table, so KIOKU_ISA and setIsa reach every one of them.
#pragma once

#include <stdint.h>

namespace kioku {

enum class Isa : int32_t { Portable = 0, Avx2 = 1, Avx512 = 2, Neon = 3, Simd128 = 4 };

// y(n) = [y +] Σ_parts W(n×k)·x with W row-major (leading dimension ld).
struct GemvPart {
  const float* w;
  int64_t ld;
  const float* x;
  int64_t k;
};

// One sample's step of a recurrent cell, on rows of H (see recurrent/cells.h for the equations
// and which pointer holds what). Gate blocks are named by lstmGates / gruGates there.
// The input part of the pre-activations (xw) may be the row the activated gates overwrite.
struct LstmStepFwd {
  const float* xw;       // G: the input part of the pre-activations
  float* gates;          // G: the activated i, f, g, o
  const float* hw;       // G: the recurrent part
  const float* bias;     // G: b_ih + b_hh
  float* c;              // H: the running cell, updated
  float* cell;           // H: c saved for backward
  float* h1;             // H: o ⊙ tanh(c), written here …
  float* h2;             // … and here
};
struct LstmStepBwd {
  const float* gates;    // G: the activated gates of the step
  const float* cell;     // H: c after the step
  const float* cPrev;    // H: c before it
  float* dh;             // H: the state's gradient in, 0 out
  const float* dOut;     // H or null: the output's gradient, added to dh
  float* dc;             // H: the cell's gradient, updated to the previous cell's
  float* dg;             // G: the pre-activation gradients
};
struct GruStepFwd {
  const float* xw;       // 3H: the input part of r, z, n
  float* gates;          // 4H: r, z, n and W_hn h + b_hn
  const float* hw;       // 3H: the recurrent part of r, z, n
  const float* bias;     // 3H: b_ir + b_hr, b_iz + b_hz, b_in
  const float* bHn;      // H or null
  float* h;              // H: the running state, updated
  float* out;            // H
};
struct GruStepBwd {
  const float* gates;    // 4H
  const float* hPrev;    // H
  const float* dOut;     // H or null
  float* dh;             // H: the state's gradient in, its direct path z ⊙ d out
  float* dgx;            // 3H: gradients of the input pre-activations
  float* dgh;            // 3H: of the recurrent ones (r ⊙ dn in the n block)
};
struct RnnStepFwd {
  const float* xw;       // H: the input part
  const float* hw;       // H
  const float* bias;     // H: b_ih + b_hh
  float* out;            // H: the new state …
  float* h;              // H: … also here
};
struct RnnStepBwd {
  const float* y;        // H: the step's output
  const float* dOut;     // H or null
  float* dh;             // H: in, 0 out
  float* dPre;           // H
};

// A sliver of A holds element (r, p) at pa[r·rs + p·cs]: (1, MR) packed, (1, lda) a transposed A
// read in place, (lda, 1) a row-major A read in place.
using MicroFn = void (*)(int64_t kc, const float* pa, int64_t rs, int64_t cs, const float* pb, float* c, int64_t ldc,
                         bool add);

// The most rows a table's edge micro-kernels cover (simd_kernels.cc: 1…5 for AVX2's 6-row tile).
constexpr int kMaxEdgeRows = 6;

struct SimdKernels {
  const char* name;
  // GEMM: the micro-kernel's MR×NR tile and the Goto/BLIS block sizes around it.
  int32_t mr, nr, kc, mc, nc;
  MicroFn micro;
  // microEdge[r]: the micro-kernel for the last r < mr rows of C, or null where the driver runs
  // a full tile into scratch instead.
  MicroFn microEdge[kMaxEdgeRows];
  void (*gemv)(int64_t n, const GemvPart* parts, int32_t count, float* y, bool accumulate);
  // y(n) = [y +] Σ_p x[p] · B(p, :) for B (k × n) row-major (leading dimension ldb).
  void (*gemvT)(int64_t n, int64_t k, const float* x, const float* b, int64_t ldb, float* y, bool accumulate);
  void (*lstmForward)(int64_t H, const LstmStepFwd& s);
  void (*lstmBackward)(int64_t H, const LstmStepBwd& s);
  void (*gruForward)(int64_t H, const GruStepFwd& s);
  void (*gruBackward)(int64_t H, const GruStepBwd& s);
  void (*rnnForward)(int64_t H, bool relu, const RnnStepFwd& s);
  void (*rnnBackward)(int64_t H, bool relu, const RnnStepBwd& s);
  // A hash of a row's E floats, bit for bit; the same value on every instruction set (row_hash.h).
  uint64_t (*rowHash)(const float* row, int64_t E);
};

// The best instruction set this build and CPU support.
Isa detectIsa();
// The one in use; tests and KIOKU_ISA lower it to exercise every path.
Isa activeIsa();
// False (and nothing changes) when this build or CPU cannot run `isa`.
bool setActiveIsa(Isa isa);
bool isaAvailable(Isa isa);
const char* isaName(Isa isa);
// The kernels of the active instruction set.
const SimdKernels& simd();

}  // namespace kioku
