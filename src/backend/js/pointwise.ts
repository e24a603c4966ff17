import { registerKernel } from '../registry.js';

declare module '../registry.js' {
  interface Kernels {
    /** out = x^p elementwise. */
    pow(x: Float32Array, p: number, out: Float32Array): void;
    /** gx += g · p · x^(p−1) (zero when p = 0). */
    powBackward(x: Float32Array, p: number, g: Float32Array, gx: Float32Array): void;
    /** out = min(max(x, lo), hi); pass ∓Infinity for an open side. */
    clamp(x: Float32Array, lo: number, hi: number, out: Float32Array): void;
    /** gx += g where lo ≤ x ≤ hi (PyTorch passes the gradient at the bounds). */
    clampBackward(x: Float32Array, lo: number, hi: number, g: Float32Array, gx: Float32Array): void;
  }
}

function powJs(x: Float32Array, p: number, out: Float32Array): void {
  const n = x.length;
  if (p === 2) for (let i = 0; i < n; i++) out[i] = x[i]! * x[i]!;
  else for (let i = 0; i < n; i++) out[i] = x[i]! ** p;
}

function powBackwardJs(x: Float32Array, p: number, g: Float32Array, gx: Float32Array): void {
  const n = x.length;
  if (p === 0) return;
  if (p === 2) for (let i = 0; i < n; i++) gx[i]! += 2 * x[i]! * g[i]!;
  else for (let i = 0; i < n; i++) gx[i]! += g[i]! * p * x[i]! ** (p - 1);
}

function clampJs(x: Float32Array, lo: number, hi: number, out: Float32Array): void {
  const n = x.length;
  for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(x[i]!, lo), hi);
}

function clampBackwardJs(x: Float32Array, lo: number, hi: number, g: Float32Array, gx: Float32Array): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (v >= lo && v <= hi) gx[i]! += g[i]!;
  }
}

registerKernel('pow', 'js', powJs);
registerKernel('powBackward', 'js', powBackwardJs);
registerKernel('clamp', 'js', clampJs);
registerKernel('clampBackward', 'js', clampBackwardJs);
