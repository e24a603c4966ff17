// Max and mean over each sample's valid steps of a batch-first (B, T, F) sequence
// (src/backend/js/masked-pool.ts is the reference): a text classifier's pooling over a padded
// batch in one pass, without a mask, a filled copy or a strided reduction.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "generated/contract.h"

namespace kioku {
namespace {

int64_t validSteps(const InI32& lengths, int64_t b, int64_t T) { return lengths ? lengths.data[b] : T; }

// The first maximum of each feature over steps [0, len); a NaN wins at its first step. Branch-free
// selects, so the compiler vectorizes the loop over features.
void maxRow(const float* __restrict x, int64_t F, int64_t len, float* __restrict out, int32_t* __restrict arg) {
  for (int64_t f = 0; f < F; f++) out[f] = len > 0 ? x[f] : -INFINITY;
  if (arg)
    for (int64_t f = 0; f < F; f++) arg[f] = len > 0 ? 0 : -1;
  for (int64_t t = 1; t < len; t++) {
    const float* __restrict row = x + t * F;
    const int32_t step = static_cast<int32_t>(t);
    if (arg) {
      for (int64_t f = 0; f < F; f++) {
        const float v = row[f], best = out[f];
        const bool take = v > best || (v != v && best == best);
        out[f] = take ? v : best;
        arg[f] = take ? step : arg[f];
      }
    } else {
      for (int64_t f = 0; f < F; f++) {
        const float v = row[f], best = out[f];
        out[f] = (v > best || (v != v && best == best)) ? v : best;
      }
    }
  }
}

// Sums in double, rounded to float once, then divided (what sum(x·mask) / length computes).
void meanRow(const float* x, int64_t F, int64_t len, float* out, std::vector<double>& acc) {
  acc.assign(F, 0.0);
  for (int64_t t = 0; t < len; t++) {
    const float* row = x + t * F;
    for (int64_t f = 0; f < F; f++) acc[f] += row[f];
  }
  for (int64_t f = 0; f < F; f++) out[f] = static_cast<float>(acc[f]) / static_cast<float>(len);
}

}  // namespace

void maskedPool(const MaskedPoolArgs& a) {
  const int64_t B = a.B, T = a.T, F = a.F;
  std::vector<double> acc;
  for (int64_t b = 0; b < B; b++) {
    const int64_t len = validSteps(a.lengths, b, T);
    const float* x = a.x.data + b * T * F;
    float* out = a.out.data + b * F;
    if (a.mode == MaskedPoolMode::Max)
      maxRow(x, F, len, out, a.argIndex ? a.argIndex.data + b * F : nullptr);
    else
      meanRow(x, F, len, out, acc);
  }
  if (a.mode == MaskedPoolMode::Mean && a.argIndex) std::fill(a.argIndex.data, a.argIndex.data + B * F, -1);
}

void maskedPoolBackward(const MaskedPoolBackwardArgs& a) {
  const int64_t B = a.B, T = a.T, F = a.F;
  if (a.mode == MaskedPoolMode::Max && !a.argIndex)
    throwRange(std::string(a.kName) + ": argIndex must be given for mode max, got null");
  for (int64_t b = 0; b < B; b++) {
    const float* g = a.g.data + b * F;
    float* gx = a.gx.data + b * T * F;
    if (a.mode == MaskedPoolMode::Max) {
      const int32_t* arg = a.argIndex.data + b * F;
      for (int64_t f = 0; f < F; f++)
        if (arg[f] >= 0 && arg[f] < T) gx[arg[f] * F + f] += g[f];
      continue;
    }
    const int64_t len = validSteps(a.lengths, b, T);
    for (int64_t t = 0; t < len; t++)
      for (int64_t f = 0; f < F; f++) gx[t * F + f] += g[f] / static_cast<float>(len);
  }
}

}  // namespace kioku
