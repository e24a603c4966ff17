import { mul } from '../ops/binary.js';
import { DTypeError, ValueError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Regularisers on a classifier's input tokens, for training only: a model that learns one rare
 * word by heart has to read the rest of the text when that word is sometimes missing.
 */

function checkRate(where: string, p: number): void {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
    throw new ValueError(`${where}: p must be a number in [0, 1), got ${String(p)}`);
  }
}

function checkIds(where: string, ids: Tensor): void {
  if (!(ids instanceof Tensor) || ids.dtype !== 'int32') {
    throw new DTypeError(
      `${where}: ids must be an int32 tensor of token ids, got ${ids instanceof Tensor ? ids.dtype : typeof ids}`,
    );
  }
}

/**
 * Word dropout: each token other than padding becomes `unkId` with probability p. ids: int32
 * (…) → a new int32 tensor of the same shape (ids itself when p = 0). Ids carry no gradient.
 */
export function tokenDropout(
  ids: Tensor,
  p: number,
  options: { unkId: number; paddingIdx: number | null; generator?: Generator },
): Tensor {
  checkIds('tokenDropout', ids);
  checkRate('tokenDropout', p);
  if (p === 0) return ids;
  const gen = options.generator ?? defaultGenerator;
  const src = ids.i32;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const id = src[i]!;
    out[i] = id !== options.paddingIdx && gen.random() < p ? options.unkId : id;
  }
  return new Tensor(out, ids.shape);
}

/**
 * Embedding dropout (Gal & Ghahramani; AWD-LSTM): whole rows of the embedding table are dropped
 * with probability p, so every occurrence of a dropped word in the batch reads zeros, and the
 * rest are scaled by 1/(1−p). Applied to the looked-up vectors x (B, T, E) of ids (B, T), which
 * equals dropping the rows of the table. Returns x itself when p = 0.
 */
export function embeddingDropout(
  x: Tensor,
  ids: Tensor,
  p: number,
  options: { generator?: Generator } = {},
): Tensor {
  checkIds('embeddingDropout', ids);
  checkRate('embeddingDropout', p);
  if (x.ndim !== ids.ndim + 1 || ids.shape.some((d, i) => d !== x.shape[i])) {
    throw new ValueError(
      `embeddingDropout: x must be ids' shape plus one embedding axis, got x ${JSON.stringify(x.shape)} for ids ${JSON.stringify(ids.shape)}`,
    );
  }
  if (p === 0) return x;
  const gen = options.generator ?? defaultGenerator;
  const src = ids.i32;
  // One draw per word of the batch, in order of first appearance: the same seed, the same rows.
  const kept = new Map<number, number>();
  const scale = new Float32Array(src.length);
  const survivor = 1 / (1 - p);
  for (let i = 0; i < src.length; i++) {
    const id = src[i]!;
    let s = kept.get(id);
    if (s === undefined) {
      s = gen.random() < p ? 0 : survivor;
      kept.set(id, s);
    }
    scale[i] = s;
  }
  return mul(x, new Tensor(scale, [...ids.shape, 1]));
}
