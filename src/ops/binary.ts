import '../backend/js/binary.js';
import type { BinaryOp } from '../backend/js/binary.js';
import { kernels } from '../backend/registry.js';
import { record } from '../tensor/autograd.js';
import { outputBuffer } from '../tensor/pool.js';
import { broadcastShapes, type Shape } from '../tensor/shape.js';
import { scalar, Tensor } from '../tensor/tensor.js';

type Operand = Tensor | number;

function asTensor(x: Operand): Tensor {
  return typeof x === 'number' ? scalar(x) : x;
}

function compute(op: BinaryOp, a: Tensor, b: Tensor, outShape: Shape): Float32Array {
  const out = outputBuffer(outShape.reduce((p, d) => p * d, 1));
  kernels.binary(op, a.f32, a.shape, b.f32, b.shape, out, outShape);
  return out;
}

/** Sums a broadcast result's gradient back onto an operand of `shape`. */
function reduceInto(g: Float32Array, gShape: Shape, dst: Float32Array, shape: Shape): void {
  kernels.sumToShape(g, gShape, dst, shape);
}

/** a + b, broadcasting. */
export function add(a: Operand, b: Operand): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  const shape = broadcastShapes(x.shape, y.shape, 'add');
  const out = new Tensor(compute('add', x, y, shape), shape);
  return record(out, 'add', [x, y], (g, grads) => {
    const gx = grads(x);
    if (gx) reduceInto(g, shape, gx, x.shape);
    const gy = grads(y);
    if (gy) reduceInto(g, shape, gy, y.shape);
  });
}

/** a − b, broadcasting. */
export function sub(a: Operand, b: Operand): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  const shape = broadcastShapes(x.shape, y.shape, 'sub');
  const out = new Tensor(compute('sub', x, y, shape), shape);
  return record(out, 'sub', [x, y], (g, grads) => {
    const gx = grads(x);
    if (gx) reduceInto(g, shape, gx, x.shape);
    const gy = grads(y);
    if (gy)
      reduceInto(
        g.map((v) => -v),
        shape,
        gy,
        y.shape,
      );
  });
}

/** a ⊙ b (elementwise), broadcasting. */
export function mul(a: Operand, b: Operand): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  const shape = broadcastShapes(x.shape, y.shape, 'mul');
  const out = new Tensor(compute('mul', x, y, shape), shape);
  return record(out, 'mul', [x, y], (g, grads) => {
    const gT = new Tensor(g, shape);
    const gx = grads(x);
    if (gx) reduceInto(compute('mul', gT, y, shape), shape, gx, x.shape);
    const gy = grads(y);
    if (gy) reduceInto(compute('mul', gT, x, shape), shape, gy, y.shape);
  });
}

/** a / b (elementwise), broadcasting. */
export function div(a: Operand, b: Operand): Tensor {
  const x = asTensor(a);
  const y = asTensor(b);
  const shape = broadcastShapes(x.shape, y.shape, 'div');
  const quotient = compute('div', x, y, shape);
  const out = new Tensor(quotient, shape);
  return record(out, 'div', [x, y], (g, grads) => {
    const gT = new Tensor(g, shape);
    const gx = grads(x);
    if (gx) reduceInto(compute('div', gT, y, shape), shape, gx, x.shape);
    const gy = grads(y);
    if (gy) {
      // d(x/y)/dy = −(x/y)/y
      const t = compute('mul', gT, new Tensor(quotient, shape), shape);
      const r = compute('div', new Tensor(t, shape), y, shape);
      for (let i = 0; i < r.length; i++) r[i] = -r[i]!;
      reduceInto(r, shape, gy, y.shape);
    }
  });
}
