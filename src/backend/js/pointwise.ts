import { type Kernels, registerKernel } from '../registry.js';

const powJs: Kernels['pow'] = function powJs(x, p, out) {
  const n = x.length;
  if (p === 2) for (let i = 0; i < n; i++) out[i] = x[i]! * x[i]!;
  else for (let i = 0; i < n; i++) out[i] = x[i]! ** p;
};

const powBackwardJs: Kernels['powBackward'] = function powBackwardJs(x, p, g, gx) {
  const n = x.length;
  if (p === 0) return;
  if (p === 2) for (let i = 0; i < n; i++) gx[i]! += 2 * x[i]! * g[i]!;
  else for (let i = 0; i < n; i++) gx[i]! += g[i]! * p * x[i]! ** (p - 1);
};

const clampJs: Kernels['clamp'] = function clampJs(x, lo, hi, out) {
  const n = x.length;
  for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(x[i]!, lo), hi);
};

const clampBackwardJs: Kernels['clampBackward'] = function clampBackwardJs(x, lo, hi, g, gx) {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (v >= lo && v <= hi) gx[i]! += g[i]!;
  }
};

registerKernel('pow', 'js', powJs);
registerKernel('powBackward', 'js', powBackwardJs);
registerKernel('clamp', 'js', clampJs);
registerKernel('clampBackward', 'js', clampBackwardJs);
