// Fused Adam/AdamW step (src/backend/js/adam.ts): PyTorch 1.13's single-tensor rule, computed in
// double per element and stored as float32, as the reference does. param, grad, m, v, vmax: (n).
#include <algorithm>
#include <cmath>

#include "args.h"
#include "kernels.h"

namespace kioku {
namespace {

Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  const char* fn = "adamStep";
  Napi::Env env = info.Env();
  expectArgs(info, 13, fn);
  const F32 param = f32Arg(info, 0, fn, "param");
  const F32 grad = f32Arg(info, 1, fn, "grad");
  const F32 m = f32Arg(info, 2, fn, "m");
  const F32 v = f32Arg(info, 3, fn, "v");
  const bool amsgrad = !(info[4].IsNull() || info[4].IsUndefined());
  const F32 vmax = amsgrad ? f32Arg(info, 4, fn, "vmax") : F32{nullptr, 0};
  const double lr = numArg(info, 5, fn, "lr"), beta1 = numArg(info, 6, fn, "beta1");
  const double beta2 = numArg(info, 7, fn, "beta2"), eps = numArg(info, 8, fn, "eps");
  const double weightDecay = numArg(info, 9, fn, "weightDecay");
  const bool decoupled = boolArg(info, 10, fn, "decoupled");
  const bool maximize = boolArg(info, 11, fn, "maximize");
  const double step = numArg(info, 12, fn, "step");
  const long n = param.length;
  checkLength(env, fn, "grad", grad.length, n);
  checkLength(env, fn, "m", m.length, n);
  checkLength(env, fn, "v", v.length, n);
  if (amsgrad) checkLength(env, fn, "vmax", vmax.length, n);
  const double stepSize = lr / (1 - std::pow(beta1, step));
  const double bc2Sqrt = std::sqrt(1 - std::pow(beta2, step));
  const double decay = decoupled ? 1 - lr * weightDecay : 1;
  const double l2 = decoupled ? 0 : weightDecay;
  const double sign = maximize ? -1 : 1;
  float *pp = param.data, *pm = m.data, *pv = v.data, *pvm = vmax.data;
  const float* pg = grad.data;
  for (long i = 0; i < n; i++) {
    double p = pp[i];
    const double g = sign * pg[i] + l2 * p;
    p *= decay;
    const float mi = static_cast<float>(beta1 * pm[i] + (1 - beta1) * g);
    const float vi = static_cast<float>(beta2 * pv[i] + (1 - beta2) * g * g);
    pm[i] = mi;
    pv[i] = vi;
    double second = vi;
    if (pvm) {
      second = std::max<double>(pvm[i], vi);
      pvm[i] = static_cast<float>(second);
    }
    pp[i] = static_cast<float>(p - (stepSize * mi) / (std::sqrt(second) / bc2Sqrt + eps));
  }
  return env.Undefined();
}

}  // namespace

void registerAdam(Napi::Env env, Napi::Object exports) {
  exports.Set("adamStep", Napi::Function::New(env, AdamStep, "adamStep"));
}

}  // namespace kioku
