import '../backend/js/masked-pool.js';
import { kernels } from '../backend/registry.js';
import { record } from '../tensor/autograd.js';
import { ShapeError, ValueError } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export type MaskedPoolMode = 'max' | 'mean';

function checkArgs(x: Tensor, lengths: Int32Array | null, mode: MaskedPoolMode): [number, number, number] {
  if (!(x instanceof Tensor) || x.ndim !== 3 || x.dtype !== 'float32') {
    throw new ShapeError(
      `maskedPool: x must be a float32 (B, T, F) tensor, got ${x instanceof Tensor ? `${x.dtype} ${formatShape(x.shape)}` : typeof x}`,
    );
  }
  if (mode !== 'max' && mode !== 'mean') {
    throw new ValueError(`maskedPool: mode must be 'max' or 'mean', got ${String(mode)}`);
  }
  const [b, t, f] = x.shape as [number, number, number];
  if (lengths === null) return [b, t, f];
  if (!(lengths instanceof Int32Array) || lengths.length !== b) {
    throw new ShapeError(
      `maskedPool: lengths must be null or an Int32Array of ${b} values (one per sample), got ${lengths instanceof Int32Array ? `${lengths.length} values` : typeof lengths}`,
    );
  }
  for (let i = 0; i < b; i++) {
    if (lengths[i]! < 0 || lengths[i]! > t) {
      throw new ValueError(`maskedPool: lengths[${i}] must be in [0, ${t}], got ${lengths[i]}`);
    }
  }
  return [b, t, f];
}

/**
 * Max or mean of x (B, T, F) over each sample's first lengths[b] steps (null: all T) → (B, F),
 * in one kernel: `max(maskedFill(x, padding, −∞), 1)` and `sum(x · mask, 1) / lengths` without
 * their masks and copies. Max sends the gradient to the first maximal step; a sample with no
 * valid step pools to −∞ (max) or NaN (mean) and gets no gradient.
 */
export function maskedPool(x: Tensor, lengths: Int32Array | null, mode: MaskedPoolMode): Tensor {
  const [b, t, f] = checkArgs(x, lengths, mode);
  const out = new Float32Array(b * f);
  const arg = mode === 'max' && x.requiresGrad ? new Int32Array(b * f) : null;
  kernels.maskedPool(x.f32, b, t, f, lengths, mode, out, arg);
  return record(new Tensor(out, [b, f]), 'maskedPool', [x], (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.maskedPoolBackward(g, b, t, f, lengths, mode, arg, gx);
  });
}
