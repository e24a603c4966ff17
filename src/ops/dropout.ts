import { record } from '../tensor/autograd.js';
import { ValueError } from '../tensor/errors.js';
import { outputBuffer } from '../tensor/pool.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Inverted dropout, PyTorch's `F.dropout`: while training, each element is zeroed with
 * probability p and the survivors are scaled by 1/(1−p), so the expected value is unchanged.
 * Returns x itself when not training or p = 0; p = 1 gives zeros. The mask is drawn from
 * `generator` (default: the seeded default generator), so a seed reproduces it.
 */
export function dropout(
  x: Tensor,
  p: number,
  training: boolean,
  generator: Generator = defaultGenerator,
): Tensor {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new ValueError(`dropout: p must be a probability in [0, 1], got ${p}`);
  }
  if (typeof training !== 'boolean') {
    throw new ValueError(`dropout: training must be a boolean, got ${typeof training}`);
  }
  const xd = x.f32;
  if (!training || p === 0) return x;
  const n = xd.length;
  const scale = p === 1 ? 0 : 1 / (1 - p);
  // mask holds 0 or the survivor scale; out = x ⊙ mask, gx += g ⊙ mask.
  const mask = new Float32Array(n);
  const out = outputBuffer(n);
  for (let i = 0; i < n; i++) {
    const m = generator.random() < p ? 0 : scale;
    mask[i] = m;
    out[i] = xd[i]! * m;
  }
  const result = new Tensor(out, x.shape);
  return record(result, 'dropout', [x], (g, grads) => {
    const gx = grads(x);
    if (gx) for (let i = 0; i < n; i++) gx[i]! += g[i]! * mask[i]!;
  });
}
