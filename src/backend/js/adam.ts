import { type Kernels, registerKernel } from '../registry.js';

const adamStepJs: Kernels['adamStep'] = function adamStepJs(
  param,
  grad,
  m,
  v,
  vmax,
  lr,
  beta1,
  beta2,
  eps,
  weightDecay,
  decoupled,
  maximize,
  step,
) {
  const n = param.length;
  const stepSize = lr / (1 - beta1 ** step);
  // √v / √(1 − β₂ᵗ) as a product: one division per element instead of two.
  const invBc2Sqrt = 1 / Math.sqrt(1 - beta2 ** step);
  const decay = decoupled ? 1 - lr * weightDecay : 1;
  const l2 = decoupled ? 0 : weightDecay;
  const sign = maximize ? -1 : 1;
  for (let i = 0; i < n; i++) {
    let p = param[i]!;
    const g = sign * grad[i]! + l2 * p;
    p *= decay;
    // Moments are rounded to float32 as they are stored, as in PyTorch.
    const mi = Math.fround(beta1 * m[i]! + (1 - beta1) * g);
    const vi = Math.fround(beta2 * v[i]! + (1 - beta2) * g * g);
    m[i] = mi;
    v[i] = vi;
    let second = vi;
    if (vmax) {
      second = Math.max(vmax[i]!, vi);
      vmax[i] = second;
    }
    param[i] = p - (stepSize * mi) / (Math.sqrt(second) * invBc2Sqrt + eps);
  }
};

registerKernel('adamStep', 'js', adamStepJs);
