import '../backend/js/pointwise.js';
import { kernels } from '../backend/registry.js';
import { record } from '../tensor/autograd.js';
import { ValueError } from '../tensor/errors.js';
import { outputBuffer } from '../tensor/pool.js';
import { Tensor } from '../tensor/tensor.js';

/** x raised to a constant power, elementwise. */
export function pow(x: Tensor, exponent: number): Tensor {
  if (typeof exponent !== 'number' || Number.isNaN(exponent)) {
    throw new ValueError(`pow: exponent must be a number, got ${exponent}`);
  }
  const xd = x.f32;
  const out = outputBuffer(xd.length);
  kernels.pow(xd, exponent, out);
  return record(new Tensor(out, x.shape), 'pow', [x], (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.powBackward(xd, exponent, g, gx);
  });
}

/** x², elementwise. */
export function square(x: Tensor): Tensor {
  return pow(x, 2);
}

/**
 * Limits x to [min, max] (either bound may be omitted). The gradient passes where
 * min ≤ x ≤ max and is zero where x was clamped.
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? Number.NEGATIVE_INFINITY;
  const hi = max ?? Number.POSITIVE_INFINITY;
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new ValueError('clamp: at least one of min and max must be given');
  }
  if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) {
    throw new ValueError(`clamp: expected min ≤ max, got min ${min} and max ${max}`);
  }
  const xd = x.f32;
  const out = outputBuffer(xd.length);
  kernels.clamp(xd, lo, hi, out);
  return record(new Tensor(out, x.shape), 'clamp', [x], (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.clampBackward(xd, lo, hi, g, gx);
  });
}
