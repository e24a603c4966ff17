// Embedding gather and scatter-add (src/backend/js/embedding.ts).
// weight, gWeight: (V, e)  indices: (N)  out, gOut: (N, e)
#include <algorithm>
#include <cstring>
#include <string>

#include "generated/contract.h"
#include "pool.h"

namespace kioku {
namespace {

// Every index in [0, V) (except `skip`, the padding index, when given).
void checkIndices(const char* fn, const InI32& indices, int64_t V, const double* skip) {
  for (int64_t r = 0; r < indices.length; r++) {
    const int32_t idx = indices.data[r];
    if (skip && idx == *skip) continue;
    if (idx < 0 || idx >= V)
      throwRange(std::string(fn) + ": indices[" + std::to_string(r) + "] must be in [0, " + std::to_string(V) +
                 "), got " + std::to_string(idx));
  }
}

}  // namespace

void embeddingForward(const EmbeddingForwardArgs& a) {
  const int64_t e = a.e, n = a.indices.length;
  checkIndices(a.kName, a.indices, a.weight.length / e, nullptr);
  splitRange(n, e, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++)
      std::memcpy(a.out.data + r * e, a.weight.data + a.indices.data[r] * e, e * sizeof(float));
  });
}

// Rows of the gradient may repeat, so threads split the columns: each adds its own columns of
// every row, in row order, as one thread would.
void embeddingBackward(const EmbeddingBackwardArgs& a) {
  const int64_t e = a.e, n = a.indices.length;
  checkIndices(a.kName, a.indices, a.gWeight.length / e, &a.paddingIdx);
  splitRange(e, n, [&](int64_t lo, int64_t hi) {
    for (int64_t r = 0; r < n; r++) {
      if (a.indices.data[r] == a.paddingIdx) continue;
      float* dst = a.gWeight.data + a.indices.data[r] * e;
      const float* src = a.gOut.data + r * e;
      for (int64_t j = lo; j < hi; j++) dst[j] += src[j];
    }
  });
}

}  // namespace kioku
