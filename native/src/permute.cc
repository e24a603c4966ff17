// Axis permutation (src/backend/js/shape.ts `permute`): out (+)= x with its axes reordered.
// x: shape, out: (shape[perm[0]], …, shape[perm[r−1]]); Float32Array or Int32Array, both alike.
// And the strided row copy that concat, split, slice and stack are made of (`copyRows`).
#include <cstring>
#include <string>
#include <vector>

#include "generated/contract.h"
#include "pool.h"

namespace kioku {
namespace {

// Walks output rows [r0, r1) in order (a row: the last axis); strides[d] is the source stride of
// output axis d.
template <class T>
void stridedCopy(const T* src, const Dims& shape, const Dims& strides, T* out, bool accumulate, int64_t r0,
                 int64_t r1) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t inner = shape[rank - 1], si = strides[rank - 1];
  std::vector<int64_t> idx(rank, 0);
  int64_t base = 0;
  for (int64_t d = rank - 2, rest = r0; d >= 0; d--) {
    idx[d] = rest % shape[d];
    rest /= shape[d];
    base += idx[d] * strides[d];
  }
  T* o = out + r0 * inner;
  for (int64_t r = r0; r < r1; r++, o += inner) {
    const T* s = src + base;
    if (si == 1 && !accumulate) {
      std::memcpy(o, s, inner * sizeof(T));
    } else if (si == 1) {
      for (int64_t j = 0; j < inner; j++) o[j] += s[j];
    } else if (accumulate) {
      for (int64_t j = 0; j < inner; j++) o[j] += s[j * si];
    } else {
      for (int64_t j = 0; j < inner; j++) o[j] = s[j * si];
    }
    for (int64_t d = rank - 2; d >= 0; d--) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

// out (+)= src permuted, over ranges of output rows, one per thread when there are many: a large
// permutation (a batch-first sequence made time-major) is a pass over memory that one core alone
// does not saturate.
template <class T>
void permuteInto(const T* src, const Dims& shape, const Dims& strides, T* out, bool accumulate) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (rank == 0) {
    out[0] = accumulate ? out[0] + src[0] : src[0];
    return;
  }
  int64_t outer = 1;
  for (int64_t d = 0; d < rank - 1; d++) outer *= shape[d];
  if (outer == 0 || shape[rank - 1] == 0) return;
  splitRange(outer, shape[rank - 1], [&](int64_t r0, int64_t r1) {
    if (r0 < r1) stridedCopy(src, shape, strides, out, accumulate, r0, r1);
  });
}

// rows × cols elements from src (sStride apart) into dst (dStride apart), assigned or added: a
// memmove per row (set() allows overlap), one for the whole block where both are contiguous. In JS a row is a subarray and
// a set() call, about 80 ns each: the concat of a bidirectional layer's two directions is thousands
// of short rows.
template <class T>
void copyBlock(const T* src, int64_t sStride, T* dst, int64_t dStride, int64_t rows, int64_t cols, bool accumulate) {
  if (!accumulate && sStride == cols && dStride == cols) {
    std::memmove(dst, src, rows * cols * sizeof(T));
    return;
  }
  for (int64_t r = 0; r < rows; r++, src += sStride, dst += dStride) {
    if (!accumulate) {
      std::memmove(dst, src, cols * sizeof(T));
    } else {
      for (int64_t c = 0; c < cols; c++) dst[c] += src[c];
    }
  }
}

}  // namespace

void copyRows(const CopyRowsArgs& a) {
  if (a.src.type != a.dst.type) throwType("copyRows: src and dst must have the same element type");
  if (a.rows == 0 || a.cols == 0) return;
  if (a.src.type == ElemType::F32)
    copyBlock(static_cast<const float*>(a.src.data) + a.sOff, a.sStride, static_cast<float*>(a.dst.data) + a.dOff,
              a.dStride, a.rows, a.cols, a.accumulate);
  else
    copyBlock(static_cast<const int32_t*>(a.src.data) + a.sOff, a.sStride, static_cast<int32_t*>(a.dst.data) + a.dOff,
              a.dStride, a.rows, a.cols, a.accumulate);
}

void permute(const PermuteArgs& a) {
  if (a.x.type != a.out.type) throwType("permute: x and out must have the same element type");
  const int64_t rank = static_cast<int64_t>(a.shape.size());
  if (static_cast<int64_t>(a.perm.size()) != rank)
    throwRange("permute: perm must have " + std::to_string(rank) + " entries, got " + std::to_string(a.perm.size()));
  std::vector<bool> seen(rank, false);
  for (int64_t p : a.perm) {
    if (p >= rank || seen[p]) throwRange("permute: perm must be a permutation of 0.." + std::to_string(rank - 1));
    seen[p] = true;
  }
  Dims xStrides(rank), outShape(rank), strides(rank);
  int64_t acc = 1;
  for (int64_t d = rank - 1; d >= 0; d--) {
    xStrides[d] = acc;
    acc *= a.shape[d];
  }
  for (int64_t d = 0; d < rank; d++) {
    outShape[d] = a.shape[a.perm[d]];
    strides[d] = xStrides[a.perm[d]];
  }
  if (a.x.type == ElemType::F32)
    permuteInto(static_cast<const float*>(a.x.data), outShape, strides, static_cast<float*>(a.out.data), a.accumulate);
  else
    permuteInto(static_cast<const int32_t*>(a.x.data), outShape, strides, static_cast<int32_t*>(a.out.data),
                a.accumulate);
}

}  // namespace kioku
