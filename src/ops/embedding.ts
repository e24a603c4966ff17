import '../backend/js/embedding.js';
import { positionOf } from '../backend/js/shape.js';
import { kernels } from '../backend/registry.js';
import { isGradEnabled, record } from '../tensor/autograd.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../tensor/errors.js';
import { outputBuffer } from '../tensor/pool.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { swapPermutation } from './shape.js';

/**
 * Embedding lookup, PyTorch's `F.embedding`: weight: (V, E), indices: int32 (…) → (…, E).
 * Backward adds each output row's gradient into row `indices[…]` of weight's gradient
 * (repeated indices accumulate); the row `paddingIdx` (negative counts from the end) gets none.
 */
export function embedding(weight: Tensor, indices: Tensor, paddingIdx?: number | null): Tensor {
  if (weight.ndim !== 2) {
    throw new ShapeError(`embedding: weight must be 2-D (V, E), got shape ${formatShape(weight.shape)}`);
  }
  const wd = weight.f32;
  if (indices.dtype !== 'int32') {
    throw new DTypeError(
      `embedding: indices must be an int32 tensor, got ${indices.dtype} of shape ${formatShape(indices.shape)}`,
    );
  }
  const [v, e] = weight.shape as [number, number];
  let pad = -1;
  if (paddingIdx !== undefined && paddingIdx !== null) {
    if (!Number.isInteger(paddingIdx) || paddingIdx < -v || paddingIdx >= v) {
      throw new ValueError(`embedding: paddingIdx must be an integer in [${-v}, ${v}), got ${paddingIdx}`);
    }
    pad = paddingIdx < 0 ? paddingIdx + v : paddingIdx;
  }
  const idx = indices.i32;
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i]!;
    if (k < 0 || k >= v) {
      throw new IndexError(
        `embedding: index ${k} at position ${positionOf(i, indices.shape)} of indices ${formatShape(indices.shape)} is out of range for a weight of V = ${v} rows (expected 0 ≤ index < ${v})`,
      );
    }
  }
  // Every row is written, so a reused buffer needs no zero fill.
  const out = outputBuffer(idx.length * e, false);
  kernels.embeddingForward(wd, e, idx, out);
  const result = new Tensor(out, [...indices.shape, e]);
  record(result, 'embedding', [weight], (g, grads) => {
    const gw = grads(weight);
    if (gw) kernels.embeddingBackward(g, e, idx, pad, gw);
  });
  if (result.requiresGrad) gathers.set(result, { weight, idx, shape: indices.shape, pad });
  return result;
}

/** The weight and indices each recorded embedding output was gathered with, in its row order. */
const gathers = new WeakMap<Tensor, { weight: Tensor; idx: Int32Array; shape: Shape; pad: number }>();

/** A recorded tensor whose rows are rows of an embedding's weight: row r is weight row indices[r]. */
export interface EmbeddedRows {
  readonly weight: Tensor;
  readonly indices: Int32Array;
  /** The row that gets no gradient, −1 for none. */
  readonly paddingIdx: number;
}

/**
 * The embedding rows x is made of, when x is a recorded embedding output or its transposeEmbedded
 * copy: an op that reads x's rows can then send their gradient straight to the weight (a recurrent
 * layer's backward, by token) instead of through x. Null otherwise, or when no gradient is recorded.
 */
export function embeddedRows(x: Tensor): EmbeddedRows | null {
  const source = isGradEnabled() ? gathers.get(x) : undefined;
  return source ? { weight: source.weight, indices: source.idx, paddingIdx: source.pad } : null;
}

/**
 * transpose(x, dim0, dim1) of x = embedding(weight, indices) over two of the indices' dimensions,
 * recorded as the gather it equals, embedding(weight, indices transposed): its backward scatters
 * the gradient straight into the weight's, in the transposed order, instead of first transposing
 * it back into a gradient for x (a batch-first recurrent layer fed by an embedding). The values
 * are x's, transposed, and its rows are embedding rows too (embeddedRows). Null where x is not a
 * recorded embedding output, or E's dimension would move or none would; dimensions out of range are
 * refused as transpose refuses them.
 */
export function transposeEmbedded(x: Tensor, dim0: number, dim1: number): Tensor | null {
  const source = gathers.get(x);
  if (source === undefined || !isGradEnabled()) return null;
  const perm = swapPermutation(x, dim0, dim1);
  const n = x.ndim - 1;
  if (perm[n] !== n || perm.every((p, i) => p === i)) return null;
  const { weight, idx, shape, pad } = source;
  // Every element is written, so a reused buffer needs no zero fill.
  const out = outputBuffer(x.size, false);
  kernels.permute(x.f32, x.shape, perm, out, false);
  const result = new Tensor(
    out,
    perm.map((p) => x.shape[p]!),
  );
  const indexPerm = perm.slice(0, n);
  const transposedIdx = new Int32Array(idx.length);
  kernels.permute(idx, shape, indexPerm, transposedIdx, false);
  record(result, 'embedding', [weight], (g, grads) => {
    const gw = grads(weight);
    if (gw) kernels.embeddingBackward(g, x.shape[n]!, transposedIdx, pad, gw);
  });
  gathers.set(result, { weight, idx: transposedIdx, shape: indexPerm.map((p) => shape[p]!), pad });
  return result;
}
