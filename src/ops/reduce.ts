import '../backend/js/reduce.js';
import { splitAtAxis } from '../backend/js/shape.js';
import { kernels } from '../backend/registry.js';
import { record } from '../tensor/autograd.js';
import { ValueError } from '../tensor/errors.js';
import { outputBuffer } from '../tensor/pool.js';
import { formatShape, normalizeAxis, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

interface Plan {
  outer: number;
  dim: number;
  inner: number;
  outShape: Shape;
}

/** The (outer, dim, inner) layout of a reduction and its result shape; no axis = all elements. */
function plan(x: Tensor, axis: number | undefined, keepDims: boolean, op: string): Plan {
  if (typeof keepDims !== 'boolean') {
    throw new ValueError(`${op}: keepDims must be a boolean, got ${typeof keepDims}`);
  }
  if (axis === undefined || axis === null) {
    return { outer: 1, dim: x.size, inner: 1, outShape: keepDims ? x.shape.map(() => 1) : [] };
  }
  const a = normalizeAxis(axis, x.ndim, op);
  if (x.ndim === 0) return { outer: 1, dim: 1, inner: 1, outShape: [] };
  const [outer, dim, inner] = splitAtAxis(x.shape, a);
  const outShape = keepDims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
  return { outer, dim, inner, outShape };
}

function sumScaled(x: Tensor, p: Plan, mean: boolean, name: string): Tensor {
  const xd = x.f32;
  const { outer, dim, inner, outShape } = p;
  const scale = mean ? 1 / dim : 1;
  const out = outputBuffer(outer * inner);
  kernels.reduceSum(xd, outer, dim, inner, scale, out);
  return record(new Tensor(out, outShape), name, [x], (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.reduceSumBackward(g, outer, dim, inner, scale, gx);
  });
}

/** Sum along `axis`, or of all elements when axis is omitted (a scalar unless keepDims). */
export function sum(x: Tensor, axis?: number, keepDims = false): Tensor {
  return sumScaled(x, plan(x, axis, keepDims, 'sum'), false, 'sum');
}

/** Mean along `axis`, or of all elements when axis is omitted (NaN for an empty tensor, as PyTorch). */
export function mean(x: Tensor, axis?: number, keepDims = false): Tensor {
  return sumScaled(x, plan(x, axis, keepDims, 'mean'), true, 'mean');
}

function extreme(x: Tensor, axis: number | undefined, keepDims: boolean, isMin: boolean, op: string) {
  const p = plan(x, axis, keepDims, op);
  const xd = x.f32;
  if (p.dim === 0) {
    throw new ValueError(
      `${op}: cannot reduce over an empty dimension (axis ${axis ?? 'all'} of ${formatShape(x.shape)})`,
    );
  }
  const values = new Float32Array(p.outer * p.inner);
  const arg = new Int32Array(p.outer * p.inner);
  kernels.reduceMax(xd, p.outer, p.dim, p.inner, isMin, values, arg);
  return { p, values, arg };
}

function extremeValues(x: Tensor, axis: number | undefined, keepDims: boolean, isMin: boolean): Tensor {
  const op = isMin ? 'min' : 'max';
  const { p, values, arg } = extreme(x, axis, keepDims, isMin, op);
  return record(new Tensor(values, p.outShape), op, [x], (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.reduceMaxBackward(g, p.outer, p.dim, p.inner, arg, gx);
  });
}

/**
 * Maximum along `axis` (all elements when omitted). The gradient goes to the first maximal
 * element of each slice.
 */
export function max(x: Tensor, axis?: number, keepDims = false): Tensor {
  return extremeValues(x, axis, keepDims, false);
}

/** Minimum along `axis` (all elements when omitted); the gradient goes to the first minimum. */
export function min(x: Tensor, axis?: number, keepDims = false): Tensor {
  return extremeValues(x, axis, keepDims, true);
}

/** Position (int32) of the first maximum along `axis`; of the flattened tensor when omitted. */
export function argmax(x: Tensor, axis?: number, keepDims = false): Tensor {
  const { p, arg } = extreme(x, axis, keepDims, false, 'argmax');
  return new Tensor(arg, p.outShape);
}

/** Position (int32) of the first minimum along `axis`; of the flattened tensor when omitted. */
export function argmin(x: Tensor, axis?: number, keepDims = false): Tensor {
  const { p, arg } = extreme(x, axis, keepDims, true, 'argmin');
  return new Tensor(arg, p.outShape);
}
