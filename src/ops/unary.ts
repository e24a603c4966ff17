import '../backend/js/unary.js';
import type { UnaryOp } from '../backend/js/unary.js';
import { kernels } from '../backend/registry.js';
import { record } from '../tensor/autograd.js';
import { outputBuffer } from '../tensor/pool.js';
import { Tensor } from '../tensor/tensor.js';

function unary(op: UnaryOp, x: Tensor): Tensor {
  const xd = x.f32;
  const y = outputBuffer(xd.length);
  kernels.unary(op, xd, y);
  const out = new Tensor(y, x.shape);
  return record(out, op, [x], (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.unaryBackward(op, xd, y, g, gx);
  });
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => unary('log', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
