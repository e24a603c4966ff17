// Embedding gather and scatter-add (src/backend/js/embedding.ts).
// weight, gWeight: (V, e)  indices: (N)  out, gOut: (N, e)
#include <cstring>
#include <string>

#include "generated/contract.h"

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
  for (int64_t r = 0; r < n; r++)
    std::memcpy(a.out.data + r * e, a.weight.data + a.indices.data[r] * e, e * sizeof(float));
}

void embeddingBackward(const EmbeddingBackwardArgs& a) {
  const int64_t e = a.e, n = a.indices.length;
  checkIndices(a.kName, a.indices, a.gWeight.length / e, &a.paddingIdx);
  for (int64_t r = 0; r < n; r++) {
    if (a.indices.data[r] == a.paddingIdx) continue;
    float* dst = a.gWeight.data + a.indices.data[r] * e;
    const float* src = a.gOut.data + r * e;
    for (int64_t j = 0; j < e; j++) dst[j] += src[j];
  }
}

}  // namespace kioku
