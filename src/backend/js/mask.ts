import type { TypedArray } from '../../tensor/tensor.js';
import { registerKernel } from '../registry.js';

declare module '../registry.js' {
  interface Kernels {
    /** All arrays of one length: out = mask ≠ 0 ? value : x. */
    maskedFill(x: Float32Array, mask: TypedArray, value: number, out: Float32Array): void;
    /** All arrays of one length: out = cond ≠ 0 ? a : b. */
    select(cond: TypedArray, a: Float32Array, b: Float32Array, out: Float32Array): void;
    /** ga += cond ≠ 0 ? g : 0, gb += cond ≠ 0 ? 0 : g; either may be null (not needed). */
    selectBackward(cond: TypedArray, g: Float32Array, ga: Float32Array | null, gb: Float32Array | null): void;
  }
}

function maskedFillJs(x: Float32Array, mask: TypedArray, value: number, out: Float32Array): void {
  const n = x.length;
  for (let i = 0; i < n; i++) out[i] = mask[i] !== 0 ? value : x[i]!;
}

function selectJs(cond: TypedArray, a: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? a[i]! : b[i]!;
}

function selectBackwardJs(
  cond: TypedArray,
  g: Float32Array,
  ga: Float32Array | null,
  gb: Float32Array | null,
): void {
  const n = g.length;
  if (ga) for (let i = 0; i < n; i++) if (cond[i] !== 0) ga[i]! += g[i]!;
  if (gb) for (let i = 0; i < n; i++) if (cond[i] === 0) gb[i]! += g[i]!;
}

registerKernel('maskedFill', 'js', maskedFillJs);
registerKernel('select', 'js', selectJs);
registerKernel('selectBackward', 'js', selectBackwardJs);
