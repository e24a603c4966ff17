import { type Kernels, registerKernel } from '../registry.js';

const embeddingForwardJs: Kernels['embeddingForward'] = function embeddingForwardJs(weight, e, indices, out) {
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
};

const embeddingBackwardJs: Kernels['embeddingBackward'] = function embeddingBackwardJs(
  gOut,
  e,
  indices,
  paddingIdx,
  gWeight,
) {
  const n = indices.length;
  for (let r = 0; r < n; r++) {
    const row = indices[r]!;
    if (row === paddingIdx) continue;
    const dst = row * e;
    const src = r * e;
    for (let j = 0; j < e; j++) gWeight[dst + j]! += gOut[src + j]!;
  }
};

registerKernel('embeddingForward', 'js', embeddingForwardJs);
registerKernel('embeddingBackward', 'js', embeddingBackwardJs);
