import '../backend/js/binary.js';
import '../backend/js/mask.js';
import '../backend/js/shape.js';
import { kernels } from '../backend/registry.js';
import { record } from '../tensor/autograd.js';
import { ShapeError, ValueError } from '../tensor/errors.js';
import { broadcastShapes, formatShape, numel, type Shape, sameShape } from '../tensor/shape.js';
import { scalar, Tensor, type TypedArray } from '../tensor/tensor.js';

/**
 * Padding mask from per-sequence lengths: (B, T) float32 with 1 where t < lengths[b], else 0.
 * maxLen (T) defaults to the longest length.
 */
export function sequenceMask(lengths: Int32Array | readonly number[], maxLen?: number): Tensor {
  if (!(lengths instanceof Int32Array) && !Array.isArray(lengths as unknown)) {
    throw new ValueError(
      `sequenceMask: lengths must be an Int32Array or an array of numbers, got ${typeof lengths}`,
    );
  }
  const b = lengths.length;
  let t = maxLen;
  if (t === undefined) {
    t = 0;
    for (let i = 0; i < b; i++) t = Math.max(t, lengths[i]!);
  }
  if (!Number.isInteger(t) || t < 0) {
    throw new ValueError(`sequenceMask: maxLen must be a non-negative integer, got ${maxLen}`);
  }
  const out = new Float32Array(b * t);
  for (let i = 0; i < b; i++) {
    const len = lengths[i]!;
    if (!Number.isInteger(len) || len < 0 || len > t) {
      throw new ValueError(
        `sequenceMask: lengths[${i}] must be an integer in [0, ${t}] (maxLen), got ${len}`,
      );
    }
    out.fill(1, i * t, i * t + len);
  }
  return new Tensor(out, [b, t]);
}

/** `src` repeated to `shape` (its broadcast shape); the data itself when no repeat is needed. */
function expand(src: Tensor, shape: Shape): TypedArray {
  if (sameShape(src.shape, shape) || src.size === numel(shape)) return src.data;
  const out = src.dtype === 'int32' ? new Int32Array(numel(shape)) : new Float32Array(numel(shape));
  kernels.broadcastTo(src.data, src.shape, out, shape);
  return out;
}

/**
 * x with `value` wherever `mask` (any dtype, nonzero = fill) is set; mask broadcasts to x's
 * shape. Filled positions get no gradient.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  if (typeof value !== 'number')
    throw new ValueError(`maskedFill: value must be a number, got ${typeof value}`);
  const xd = x.f32;
  const shape = broadcastShapes(x.shape, mask.shape, 'maskedFill');
  if (!sameShape(shape, x.shape)) {
    throw new ShapeError(
      `maskedFill: mask ${formatShape(mask.shape)} must broadcast to x ${formatShape(x.shape)}, not enlarge it to ${formatShape(shape)}`,
    );
  }
  const m = expand(mask, x.shape);
  const out = new Float32Array(xd.length);
  kernels.maskedFill(xd, m, value, out);
  return record(new Tensor(out, x.shape), 'maskedFill', [x], (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.selectBackward(m, g, null, gx);
  });
}

/** cond ≠ 0 ? a : b elementwise, all three broadcast together (numbers allowed for a and b). */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const ta = typeof a === 'number' ? scalar(a) : a;
  const tb = typeof b === 'number' ? scalar(b) : b;
  const ad = ta.f32;
  const bd = tb.f32;
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape, 'where'), tb.shape, 'where');
  const c = expand(cond, shape);
  const ea = expand(ta, shape) as Float32Array;
  const eb = expand(tb, shape) as Float32Array;
  const n = numel(shape);
  const out = new Float32Array(n);
  kernels.select(c, ea, eb, out);
  return record(new Tensor(out, shape), 'where', [ta, tb], (g, grads) => {
    const ga = grads(ta);
    const gb = grads(tb);
    const fullA = ga && (ad.length === n ? ga : new Float32Array(n));
    const fullB = gb && (bd.length === n ? gb : new Float32Array(n));
    kernels.selectBackward(c, g, fullA, fullB);
    if (ga && fullA !== ga) kernels.sumToShape(fullA!, shape, ga, ta.shape);
    if (gb && fullB !== gb) kernels.sumToShape(fullB!, shape, gb, tb.shape);
  });
}
