// Row-major SGEMM over the active instruction set's micro-kernel (simd.h): packing in pack.cc,
// the micro-kernels in simd_kernels.cc, the blocking and threading in driver.cc.
#pragma once

#include <cstdint>
#include <vector>

#include "../simd.h"

namespace kioku {

// Products with at most this many rows skip packing (streaming, batch 1).
constexpr int64_t kSmallM = 4;

// C(m×n) = [C +] op(A)(m×k) · op(B)(k×n); A(i, p) = a[i·lda + p] (a[p·lda + i] when ta), likewise B.
void sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float* c, int64_t ldc, bool accumulate);
// The same, split over the thread pool when the product is big enough to pay for it.
void sgemmParallel(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                   const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate);

// y(n) = [y +] W1(n×k1)·x1 [+ W2(n×k2)·x2] with W1, W2 row-major (leading dimensions ld1, ld2);
// w2 null for one product. Single-threaded and unpacked: a batch-1 step streams each weight once.
void sgemv(int64_t n, const float* w1, int64_t ld1, const float* x1, int64_t k1, const float* w2, int64_t ld2,
           const float* x2, int64_t k2, float* y, bool accumulate);

// op(B) (k×n) packed once for the active instruction set, for products repeated with the same
// B (the recurrent weights at every time step).
struct PackedB {
  std::vector<float> data;
  int64_t k = 0, n = 0, ncPad = 0;
  Isa isa = Isa::Portable;
  bool packed = false;
  // Unpacked fallback (n too wide for one panel, or the instruction set changed).
  bool tb = false;
  const float* b = nullptr;
  int64_t ldb = 0;
};
// `rows` is the number of rows of A the products will have: products of at most kSmallM rows run
// the unpacked small-M path, so then nothing is packed.
void packB(bool tb, int64_t k, int64_t n, const float* b, int64_t ldb, int64_t rows, PackedB& out);
// C(m×n) = [C +] A(m×k) · B with A row-major (lda) and B packed by packB; single-threaded.
void sgemmPacked(int64_t m, const float* a, int64_t lda, const PackedB& b, float* c, int64_t ldc, bool accumulate);

}  // namespace kioku
