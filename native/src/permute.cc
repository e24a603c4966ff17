// Axis permutation (src/backend/js/shape.ts `permute`): out (+)= x with its axes reordered.
// x: shape, out: (shape[perm[0]], …, shape[perm[r−1]]); Float32Array or Int32Array, both alike.
#include <cstring>
#include <string>
#include <vector>

#include "generated/contract.h"

namespace kioku {
namespace {

// Walks the output in order; strides[d] is the source stride of output axis d.
template <class T>
void stridedCopy(const T* src, const Dims& shape, const Dims& strides, T* out, bool accumulate) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (rank == 0) {
    out[0] = accumulate ? out[0] + src[0] : src[0];
    return;
  }
  const int64_t inner = shape[rank - 1], si = strides[rank - 1];
  int64_t outer = 1;
  for (int64_t d = 0; d < rank - 1; d++) outer *= shape[d];
  if (outer == 0 || inner == 0) return;
  std::vector<int64_t> idx(rank, 0);
  int64_t base = 0;
  T* o = out;
  for (int64_t r = 0; r < outer; r++, o += inner) {
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

}  // namespace

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
    stridedCopy(static_cast<const float*>(a.x.data), outShape, strides, static_cast<float*>(a.out.data), a.accumulate);
  else
    stridedCopy(static_cast<const int32_t*>(a.x.data), outShape, strides, static_cast<int32_t*>(a.out.data),
                a.accumulate);
}

}  // namespace kioku
