import '../backend/js/softmax.js';
import { splitAtAxis } from '../backend/js/shape.js';
import { kernels } from '../backend/registry.js';
import { record } from '../tensor/autograd.js';
import { outputBuffer } from '../tensor/pool.js';
import { normalizeAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

function softmaxOp(x: Tensor, axis: number, log: boolean): Tensor {
  const name = log ? 'logSoftmax' : 'softmax';
  const xd = x.f32;
  const a = normalizeAxis(axis, x.ndim, name);
  const [outer, dim, inner] = splitAtAxis(x.shape, a);
  const y = outputBuffer(xd.length);
  kernels.softmax(xd, outer, dim, inner, log, y);
  return record(new Tensor(y, x.shape), name, [x], (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.softmaxBackward(y, g, outer, dim, inner, log, gx);
  });
}

/** exp(x) / Σ exp(x) along `axis` (default the last), computed stably. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp(x, axis, false);
}

/** x − log Σ exp(x) along `axis` (default the last): log of softmax without its underflow. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp(x, axis, true);
}
