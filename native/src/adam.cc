// Fused Adam/AdamW step (src/backend/js/adam.ts): PyTorch 1.13's single-tensor rule, computed in
// double per element and stored as float32, as the reference does. param, grad, m, v, vmax: (n).
#include <algorithm>
#include <cmath>

#include "generated/contract.h"

namespace kioku {

void adamStep(const AdamStepArgs& a) {
  const int64_t n = a.param.length;
  const double stepSize = a.lr / (1 - std::pow(a.beta1, a.step));
  const double bc2Sqrt = std::sqrt(1 - std::pow(a.beta2, a.step));
  const double decay = a.decoupled ? 1 - a.lr * a.weightDecay : 1;
  const double l2 = a.decoupled ? 0 : a.weightDecay;
  const double sign = a.maximize ? -1 : 1;
  float *pp = a.param.data, *pm = a.m.data, *pv = a.v.data, *pvm = a.vmax.data;
  const float* pg = a.grad.data;
  for (int64_t i = 0; i < n; i++) {
    double p = pp[i];
    const double g = sign * pg[i] + l2 * p;
    p *= decay;
    const float mi = static_cast<float>(a.beta1 * pm[i] + (1 - a.beta1) * g);
    const float vi = static_cast<float>(a.beta2 * pv[i] + (1 - a.beta2) * g * g);
    pm[i] = mi;
    pv[i] = vi;
    double second = vi;
    if (pvm) {
      second = std::max<double>(pvm[i], vi);
      pvm[i] = static_cast<float>(second);
    }
    pp[i] = static_cast<float>(p - (stepSize * mi) / (std::sqrt(second) / bc2Sqrt + a.eps));
  }
}

}  // namespace kioku
