import { registerKernel } from '../registry.js';

declare module '../registry.js' {
  interface Kernels {
    /**
     * One Adam/AdamW update in place, PyTorch 1.13's single-tensor rule. param, grad, m, v, vmax: (n).
     * `decoupled` applies weight decay as AdamW (param ·= 1 − lr·wd) instead of adding wd·param to
     * the gradient; `vmax` (AMSGrad) is null when unused. `step` is the count including this update.
     */
    adamStep(
      param: Float32Array,
      grad: Float32Array,
      m: Float32Array,
      v: Float32Array,
      vmax: Float32Array | null,
      lr: number,
      beta1: number,
      beta2: number,
      eps: number,
      weightDecay: number,
      decoupled: boolean,
      maximize: boolean,
      step: number,
    ): void;
  }
}

function adamStepJs(
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  vmax: Float32Array | null,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  decoupled: boolean,
  maximize: boolean,
  step: number,
): void {
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
}

registerKernel('adamStep', 'js', adamStepJs);
