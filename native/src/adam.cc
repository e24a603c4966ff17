// Fused Adam/AdamW step (src/backend/js/adam.ts): PyTorch 1.13's single-tensor rule in float32, as
// PyTorch computes it for float32 parameters. param, grad, m, v, vmax: (n).
//
// The loop is plain float arithmetic that the compiler vectorises for the baseline instruction set
// (no reassociation, so every element rounds as the scalar code would); large tensors (an
// embedding table) split over the thread pool, since the step is bound by memory traffic.
#include <algorithm>
#include <cmath>

#include "generated/contract.h"
#include "pool.h"

namespace kioku {
namespace {

struct AdamConsts {
  float beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps, decay, l2, sign, bc2Sqrt, negStepSize;
};

// Elements [lo, hi) of one update; vmax is read only with AMSGrad (a template parameter, so that
// the loop has no branch and vectorises).
template <bool kAmsgrad>
void adamRange(const AdamConsts& k, int64_t lo, int64_t hi, float* __restrict p, const float* __restrict grad,
               float* __restrict m, float* __restrict v, float* __restrict vmax) {
  for (int64_t i = lo; i < hi; i++) {
    const float g = k.sign * grad[i] + k.l2 * p[i];
    const float mi = k.beta1 * m[i] + k.oneMinusBeta1 * g;
    const float vi = k.beta2 * v[i] + k.oneMinusBeta2 * (g * g);
    m[i] = mi;
    v[i] = vi;
    float second = vi;
    if (kAmsgrad) {
      second = std::max(vmax[i], vi);
      vmax[i] = second;
    }
    const float denom = std::sqrt(second) / k.bc2Sqrt + k.eps;
    p[i] = p[i] * k.decay + k.negStepSize * (mi / denom);
  }
}

// Below this many elements a second thread costs more than it saves.
constexpr int64_t kChunk = 1 << 15;

}  // namespace

void adamStep(const AdamStepArgs& a) {
  const int64_t n = a.param.length;
  const double bc1 = 1 - std::pow(a.beta1, a.step);
  const AdamConsts k{static_cast<float>(a.beta1),
                     static_cast<float>(a.beta2),
                     static_cast<float>(1 - a.beta1),
                     static_cast<float>(1 - a.beta2),
                     static_cast<float>(a.eps),
                     static_cast<float>(a.decoupled ? 1 - a.lr * a.weightDecay : 1),
                     static_cast<float>(a.decoupled ? 0 : a.weightDecay),
                     a.maximize ? -1.f : 1.f,
                     static_cast<float>(std::sqrt(1 - std::pow(a.beta2, a.step))),
                     static_cast<float>(-a.lr / bc1)};
  const int tasks = static_cast<int>(std::min<int64_t>((n + kChunk - 1) / kChunk, 4 * poolSize()));
  const int64_t per = tasks > 0 ? (n + tasks - 1) / tasks : 0;
  const auto range = [&](int t) {
    const int64_t lo = t * per, hi = std::min(n, lo + per);
    if (a.vmax.data)
      adamRange<true>(k, lo, hi, a.param.data, a.grad.data, a.m.data, a.v.data, a.vmax.data);
    else
      adamRange<false>(k, lo, hi, a.param.data, a.grad.data, a.m.data, a.v.data, nullptr);
  };
  if (tasks <= 1)
    range(0);
  else
    poolRun(tasks, range);
}

}  // namespace kioku
