// Row-major SGEMM with runtime instruction-set dispatch.
#pragma once

#include <vector>

namespace kioku {

// Products with at most this many rows skip packing (streaming, batch 1).
constexpr long kSmallM = 4;

enum class Isa { Portable = 0, Avx2 = 1, Avx512 = 2 };

// The best instruction set this CPU (and OS) supports.
Isa detectIsa();
// The instruction set the kernels use now; tests lower it to exercise every path.
Isa activeIsa();
void setActiveIsa(Isa isa);
const char* isaName(Isa isa);

// C(m×n) = [C +] op(A)(m×k) · op(B)(k×n); A(i, p) = a[i·lda + p] (a[p·lda + i] when ta), likewise B.
void sgemm(bool ta, bool tb, long m, long n, long k, const float* a, long lda, const float* b, long ldb,
           float* c, long ldc, bool accumulate);
// The same, split over the thread pool when the product is big enough to pay for it.
void sgemmParallel(bool ta, bool tb, long m, long n, long k, const float* a, long lda, const float* b,
                   long ldb, float* c, long ldc, bool accumulate);

// y(n) = [y +] W1(n×k1)·x1 [+ W2(n×k2)·x2] with W1, W2 row-major (leading dimensions ld1, ld2);
// w2 null for one product. Single-threaded and unpacked: a batch-1 step streams each weight once.
void sgemv(long n, const float* w1, long ld1, const float* x1, long k1, const float* w2, long ld2, const float* x2,
           long k2, float* y, bool accumulate);

// op(B) (k×n) packed once for the active instruction set, for products repeated with the same
// B (the recurrent weights at every time step).
struct PackedB {
  std::vector<float> data;
  long k = 0, n = 0, ncPad = 0;
  int isa = -1;
  // Unpacked fallback (n too wide for one panel, or the instruction set changed).
  bool tb = false;
  const float* b = nullptr;
  long ldb = 0;
};
// `rows` is the number of rows of A the products will have: products of at most kSmallM rows run
// the unpacked small-M path, so then nothing is packed.
void packB(bool tb, long k, long n, const float* b, long ldb, long rows, PackedB& out);
// C(m×n) = [C +] A(m×k) · B with A row-major (lda) and B packed by packB; single-threaded.
void sgemmPacked(long m, const float* a, long lda, const PackedB& b, float* c, long ldc, bool accumulate);

// Measured FMA throughput in GFLOP/s of `threads` threads running independent FMA chains.
double peakGflops(int threads, double seconds);

}  // namespace kioku
