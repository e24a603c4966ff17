import { registerKernel } from '../registry.js';

declare module '../registry.js' {
  interface Kernels {
    /**
     * weight: (V, E), indices: (N) already range-checked, out: (N, E).
     * out[n, :] = weight[indices[n], :].
     */
    embeddingForward(weight: Float32Array, e: number, indices: Int32Array, out: Float32Array): void;
    /**
     * gOut: (N, E), gWeight: (V, E). gWeight[indices[n], :] += gOut[n, :], skipping rows whose
     * index equals paddingIdx (−1: none). Repeated indices accumulate.
     */
    embeddingBackward(
      gOut: Float32Array,
      e: number,
      indices: Int32Array,
      paddingIdx: number,
      gWeight: Float32Array,
    ): void;
  }
}

function embeddingForwardJs(weight: Float32Array, e: number, indices: Int32Array, out: Float32Array): void {
  const n = indices.length;
  // Wide rows copy faster as native block copies; narrow ones as a plain loop.
  if (e >= 64) {
    for (let r = 0; r < n; r++) {
      const src = indices[r]! * e;
      out.set(weight.subarray(src, src + e), r * e);
    }
    return;
  }
  for (let r = 0; r < n; r++) {
    const src = indices[r]! * e;
    const dst = r * e;
    for (let j = 0; j < e; j++) out[dst + j] = weight[src + j]!;
  }
}

function embeddingBackwardJs(
  gOut: Float32Array,
  e: number,
  indices: Int32Array,
  paddingIdx: number,
  gWeight: Float32Array,
): void {
  const n = indices.length;
  for (let r = 0; r < n; r++) {
    const row = indices[r]!;
    if (row === paddingIdx) continue;
    const dst = row * e;
    const src = r * e;
    for (let j = 0; j < e; j++) gWeight[dst + j]! += gOut[src + j]!;
  }
}

registerKernel('embeddingForward', 'js', embeddingForwardJs);
registerKernel('embeddingBackward', 'js', embeddingBackwardJs);
