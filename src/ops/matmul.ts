import '../backend/js/gemm.js';
import { kernels } from '../backend/registry.js';
import { record } from '../tensor/autograd.js';
import { ShapeError } from '../tensor/errors.js';
import { outputBuffer } from '../tensor/pool.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Matrix product. a: (M, K) · b: (K, N) → (M, N); batched a: (…, M, K) · b: (…, K, N) with equal
 * leading dimensions → (…, M, N); a batched a with a 2-D b shares b across the batch.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim < 2 || b.ndim < 2) {
    throw new ShapeError(
      `matmul: both operands need at least 2 dimensions, got a ${formatShape(a.shape)} and b ${formatShape(b.shape)}`,
    );
  }
  const m = a.shape[a.ndim - 2]!;
  const k = a.shape[a.ndim - 1]!;
  const k2 = b.shape[b.ndim - 2]!;
  const n = b.shape[b.ndim - 1]!;
  if (k !== k2) {
    throw new ShapeError(
      `matmul: inner dimensions differ: a ${formatShape(a.shape)} has ${k} columns, b ${formatShape(b.shape)} has ${k2} rows`,
    );
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const sharedB = b.ndim === 2;
  if (!sharedB && (batchA.length !== batchB.length || batchA.some((d, i) => d !== batchB[i]))) {
    throw new ShapeError(
      `matmul: batch dimensions differ: a ${formatShape(a.shape)} vs b ${formatShape(b.shape)} (they must be equal, or b 2-D)`,
    );
  }
  const batch = batchA.reduce((p, d) => p * d, 1);
  const ad = a.f32;
  const bd = b.f32;
  const out = outputBuffer(batch * m * n);
  if (sharedB) {
    // (batch·M, K) · (K, N) as one product.
    kernels.gemm(false, false, batch * m, n, k, ad, 0, k, bd, 0, n, out, 0, n, false);
  } else {
    for (let i = 0; i < batch; i++) {
      kernels.gemm(false, false, m, n, k, ad, i * m * k, k, bd, i * k * n, n, out, i * m * n, n, false);
    }
  }
  const result = new Tensor(out, [...batchA, m, n]);
  return record(result, 'matmul', [a, b], (g, grads) => {
    const ga = grads(a);
    const gb = grads(b);
    if (sharedB) {
      // ga += g · bᵀ ; gb += aᵀ · g over the flattened batch
      if (ga) kernels.gemm(false, true, batch * m, k, n, g, 0, n, bd, 0, n, ga, 0, k, true);
      if (gb) kernels.gemm(true, false, k, n, batch * m, ad, 0, k, g, 0, n, gb, 0, n, true);
      return;
    }
    for (let i = 0; i < batch; i++) {
      if (ga) kernels.gemm(false, true, m, k, n, g, i * m * n, n, bd, i * k * n, n, ga, i * m * k, k, true);
      if (gb) kernels.gemm(true, false, k, n, m, ad, i * m * k, k, g, i * m * n, n, gb, i * k * n, n, true);
    }
  });
}

/**
 * Fused affine map, PyTorch's `F.linear`: x: (…, I) · weightᵀ (O, I) + bias (O) → (…, O).
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2)
    throw new ShapeError(`linear: weight must be 2-D (out, in), got ${formatShape(weight.shape)}`);
  const [o, i] = weight.shape as [number, number];
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== i) {
    throw new ShapeError(
      `linear: input ${formatShape(x.shape)} must end in ${i} features to match weight ${formatShape(weight.shape)}`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== o)) {
    throw new ShapeError(`linear: bias must have shape (${o},), got ${formatShape(bias.shape)}`);
  }
  const rows = x.size / i;
  const xd = x.f32;
  const wd = weight.f32;
  const out = outputBuffer(rows * o);
  if (bias) {
    const bd = bias.f32;
    for (let r = 0; r < rows; r++) out.set(bd, r * o);
  }
  kernels.gemm(false, true, rows, o, i, xd, 0, i, wd, 0, i, out, 0, o, !!bias);
  const result = new Tensor(out, [...x.shape.slice(0, -1), o]);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(result, 'linear', inputs, (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.gemm(false, false, rows, i, o, g, 0, o, wd, 0, i, gx, 0, i, true);
    const gw = grads(weight);
    if (gw) kernels.gemm(true, false, o, i, rows, g, 0, o, xd, 0, i, gw, 0, i, true);
    const gb = bias ? grads(bias) : null;
    if (gb) for (let r = 0; r < rows; r++) for (let j = 0; j < o; j++) gb[j]! += g[r * o + j]!;
  });
}
