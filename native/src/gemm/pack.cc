#include "pack.h"

#include <algorithm>
#include <cstring>

namespace kioku {

void packA(const float* a, int64_t rs, int64_t cs, int64_t mc, int64_t kc, int32_t mr, float* out) {
  for (int64_t ir = 0; ir < mc; ir += mr) {
    const int64_t rows = std::min<int64_t>(mr, mc - ir);
    float* dst = out + ir * kc;
    if (rs == 1) {
      // Transposed A: the MR rows of one p are contiguous.
      for (int64_t p = 0; p < kc; p++) {
        const float* src = a + ir + p * cs;
        for (int64_t r = 0; r < rows; r++) dst[p * mr + r] = src[r];
        for (int64_t r = rows; r < mr; r++) dst[p * mr + r] = 0.f;
      }
      continue;
    }
    for (int64_t r = 0; r < mr; r++) {
      if (r < rows) {
        const float* src = a + (ir + r) * rs;
        for (int64_t p = 0; p < kc; p++) dst[p * mr + r] = src[p * cs];
      } else {
        for (int64_t p = 0; p < kc; p++) dst[p * mr + r] = 0.f;
      }
    }
  }
}

void packPanelB(const float* b, int64_t rs, int64_t cs, int64_t kc, int64_t nc, int32_t nr, float* out) {
  for (int64_t jr = 0; jr < nc; jr += nr) {
    const int64_t cols = std::min<int64_t>(nr, nc - jr);
    float* dst = out + jr * kc;
    if (cs == 1) {
      for (int64_t p = 0; p < kc; p++) {
        std::memcpy(dst + p * nr, b + p * rs + jr, cols * sizeof(float));
        for (int64_t q = cols; q < nr; q++) dst[p * nr + q] = 0.f;
      }
      continue;
    }
    for (int64_t q = 0; q < nr; q++) {
      if (q < cols) {
        const float* src = b + (jr + q) * cs;
        for (int64_t p = 0; p < kc; p++) dst[p * nr + q] = src[p * rs];
      } else {
        for (int64_t p = 0; p < kc; p++) dst[p * nr + q] = 0.f;
      }
    }
  }
}

}  // namespace kioku
