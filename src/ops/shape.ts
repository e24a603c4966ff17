import '../backend/js/binary.js';
import '../backend/js/shape.js';
import { positionOf, splitAtAxis } from '../backend/js/shape.js';
import { kernels } from '../backend/registry.js';
import { isGradEnabled, record } from '../tensor/autograd.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../tensor/errors.js';
import { BufferPool, isRecordingStep, outputBuffer } from '../tensor/pool.js';
import {
  broadcastShapes,
  formatShape,
  normalizeAxis,
  numel,
  type Shape,
  sameShape,
} from '../tensor/shape.js';
import { Tensor, type TypedArray } from '../tensor/tensor.js';

/** An output buffer of `n` elements with `x`'s dtype; zeroed unless `zeroed` is false. */
function allocLike(x: Tensor, n: number, zeroed = true): TypedArray {
  return x.dtype === 'int32' ? new Int32Array(n) : outputBuffer(n, zeroed);
}

/** A tensor over the same data with another shape; the gradient passes through unchanged. */
function view(x: Tensor, shape: Shape, name: string): Tensor {
  const out = new Tensor(x.data, shape);
  return record(out, name, [x], (g, grads) => {
    const gx = grads(x);
    if (gx) for (let i = 0; i < g.length; i++) gx[i]! += g[i]!;
  });
}

/**
 * The same elements in a new shape (row-major order kept). One dimension may be −1 and is
 * inferred. The result shares x's data, as a PyTorch view does.
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === -1) {
      if (infer >= 0) {
        throw new ValueError(`reshape: only one dimension can be -1, got shape ${formatShape(shape)}`);
      }
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new ValueError(
        `reshape: shape ${formatShape(shape)} must contain non-negative integers (or one -1)`,
      );
    } else known *= d;
  }
  const resolved = [...shape];
  if (infer >= 0) {
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError(
        `reshape: cannot infer the -1 in ${formatShape(shape)} for a tensor of shape ${formatShape(x.shape)} (${x.size} elements)`,
      );
    }
    resolved[infer] = x.size / known;
  }
  if (numel(resolved) !== x.size) {
    throw new ShapeError(
      `reshape: shape ${formatShape(shape)} has ${numel(resolved)} elements but the tensor ${formatShape(x.shape)} has ${x.size}`,
    );
  }
  return view(x, resolved, 'reshape');
}

/** Merges dimensions startDim..endDim (inclusive, negative allowed) into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return view(x, [1], 'flatten');
  const s = normalizeAxis(startDim, x.ndim, 'flatten (startDim)');
  const e = normalizeAxis(endDim, x.ndim, 'flatten (endDim)');
  if (s > e) throw new ValueError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const merged = numel(x.shape.slice(s, e + 1));
  return view(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)], 'flatten');
}

/** Removes size-1 dimensions: all of them, or only `axis` (which must have size 1). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return view(
      x,
      x.shape.filter((d) => d !== 1),
      'squeeze',
    );
  const a = normalizeAxis(axis, x.ndim, 'squeeze');
  if (x.ndim === 0) return view(x, [], 'squeeze');
  if (x.shape[a] !== 1) {
    throw new ShapeError(
      `squeeze: dimension ${axis} of shape ${formatShape(x.shape)} has size ${x.shape[a]}, expected 1`,
    );
  }
  return view(x, [...x.shape.slice(0, a), ...x.shape.slice(a + 1)], 'squeeze');
}

/** Inserts a size-1 dimension at `axis` (−1 appends at the end). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis, x.ndim + 1, 'unsqueeze');
  return view(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)], 'unsqueeze');
}

/** Reorders the dimensions: result dimension i is x's dimension dims[i]. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const rank = x.ndim;
  if (dims.length !== rank) {
    throw new ValueError(
      `permute: dims [${dims.join(', ')}] must list all ${rank} dimensions of shape ${formatShape(x.shape)}`,
    );
  }
  const perm = dims.map((d) => normalizeAxis(d, rank, 'permute'));
  const seen = new Set(perm);
  if (seen.size !== rank) {
    throw new ValueError(`permute: dims [${dims.join(', ')}] repeat a dimension; expected a permutation`);
  }
  if (perm.every((p, i) => p === i)) return view(x, x.shape, 'permute');
  const outShape = perm.map((p) => x.shape[p]!);
  // Every element is written, so a reused buffer needs no zero fill.
  const out = allocLike(x, x.size, false);
  kernels.permute(x.data, x.shape, perm, out, false);
  return recordPermute(new Tensor(out, outShape), x, perm);
}

/** Records `out` = x permuted by `perm`: its backward permutes the gradient back into x's. */
function recordPermute(out: Tensor, x: Tensor, perm: readonly number[]): Tensor {
  const inverse = new Array<number>(perm.length);
  for (let i = 0; i < perm.length; i++) inverse[perm[i]!] = i;
  return record(out, 'permute', [x], (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.permute(g, out.shape, inverse, gx, true);
  });
}

/** Swaps two dimensions. */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  return permute(x, swapPermutation(x, dim0, dim1));
}

/** The permutation transpose(x, dim0, dim1) applies, its dimensions checked. */
export function swapPermutation(x: Tensor, dim0: number, dim1: number): number[] {
  const a = normalizeAxis(dim0, x.ndim, 'transpose (dim0)');
  const b = normalizeAxis(dim1, x.ndim, 'transpose (dim1)');
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return perm;
}

/**
 * transpose(x, dim0, dim1) whose copy is made when its data is first read, for a result callers
 * often never read (a batch-first recurrent layer's output when only h_n is used), in inference
 * and training alike: its backward needs only the shapes. x's data must not change afterwards,
 * so pass only a tensor over a buffer the caller alone holds. Inside a training step the copy can
 * only be made during the step: x's buffer is released when it ends, and so is the result.
 */
export function transposeDeferred(x: Tensor, dim0: number, dim1: number): Tensor {
  const perm = swapPermutation(x, dim0, dim1);
  if (perm.every((p, i) => p === i)) return permute(x, perm);
  const out = new Tensor(
    x.data,
    perm.map((p) => x.shape[p]!),
  );
  out.deferData(() => {
    const data = allocLike(x, x.size, false);
    kernels.permute(x.data, x.shape, perm, data, false);
    return data;
  });
  return recordPermute(out, x, perm);
}

// Buffers of transposeScratch: one call's copies, returned when the call ends.
const scratchPool = new BufferPool(2);

/**
 * transpose(x, dim0, dim1) into a pooled buffer for a copy that lives only inside one call:
 * `release()` hands the buffer back for the next call once the caller is done, and the tensor
 * must not be read after. Inference only (a recorded backward would read the buffer later):
 * while gradients are recorded, or a training step runs, it is transpose() and `release` does
 * nothing.
 */
export function transposeScratch(x: Tensor, dim0: number, dim1: number): { tensor: Tensor; release(): void } {
  const perm = swapPermutation(x, dim0, dim1);
  if (isGradEnabled() || isRecordingStep() || x.dtype !== 'float32') {
    return { tensor: permute(x, perm), release: () => {} };
  }
  // Every element is written, so a reused buffer needs no zero fill.
  const data = scratchPool.take(x.size, false);
  kernels.permute(x.data, x.shape, perm, data, false);
  return {
    tensor: new Tensor(
      data,
      perm.map((p) => x.shape[p]!),
    ),
    release: () => scratchPool.release(data),
  };
}

/** Joins tensors along an existing axis; every other dimension (and the dtype) must match. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs as unknown) || xs.length === 0) {
    throw new ValueError('concat: expected a non-empty array of tensors');
  }
  const first = xs[0]!;
  const rank = first.ndim;
  if (rank === 0) throw new ShapeError('concat: cannot concatenate 0-d tensors; use stack');
  const a = normalizeAxis(axis, rank, 'concat');
  let total = 0;
  xs.forEach((x, i) => {
    if (x.dtype !== first.dtype) {
      throw new DTypeError(`concat: tensor ${i} is ${x.dtype} but tensor 0 is ${first.dtype}`);
    }
    const ok = x.ndim === rank && x.shape.every((d, k) => k === a || d === first.shape[k]);
    if (!ok) {
      throw new ShapeError(
        `concat: tensor ${i} has shape ${formatShape(x.shape)}, which does not match tensor 0 ${formatShape(first.shape)} outside axis ${a}`,
      );
    }
    total += x.shape[a]!;
  });
  const [outer, , inner] = splitAtAxis(first.shape, a);
  const outShape = [...first.shape];
  outShape[a] = total;
  // The inputs' column blocks tile every row, so a reused buffer needs no zero fill.
  const out = allocLike(first, outer * total * inner, false);
  const offsets: number[] = [];
  let off = 0;
  for (const x of xs) {
    offsets.push(off);
    const cols = x.shape[a]! * inner;
    kernels.copyRows(x.data, 0, cols, out, off * inner, total * inner, outer, cols, false);
    off += x.shape[a]!;
  }
  return record(new Tensor(out, outShape), 'concat', xs, (g, grads) => {
    xs.forEach((x, i) => {
      const gx = grads(x);
      const cols = x.shape[a]! * inner;
      if (gx) kernels.copyRows(g, offsets[i]! * inner, total * inner, gx, 0, cols, outer, cols, true);
    });
  });
}

/** Joins equally shaped tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs as unknown) || xs.length === 0) {
    throw new ValueError('stack: expected a non-empty array of tensors');
  }
  const first = xs[0]!;
  xs.forEach((x, i) => {
    if (!sameShape(x.shape, first.shape)) {
      throw new ShapeError(
        `stack: tensor ${i} has shape ${formatShape(x.shape)} but tensor 0 has ${formatShape(first.shape)}; all must be equal`,
      );
    }
  });
  const a = normalizeAxis(axis, first.ndim + 1, 'stack');
  return concat(
    xs.map((x) => unsqueeze(x, a)),
    a,
  );
}

/**
 * The elements start ≤ i < end along `axis` (Python slicing: negative values count from the
 * end, out-of-range bounds are clamped, end defaults to the dimension's size).
 */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const a = normalizeAxis(axis, x.ndim, 'slice');
  if (x.ndim === 0) throw new ShapeError('slice: cannot slice a 0-d tensor');
  const dim = x.shape[a]!;
  if (!Number.isInteger(start)) throw new ValueError(`slice: start must be an integer, got ${start}`);
  if (end !== undefined && !Number.isInteger(end)) {
    throw new ValueError(`slice: end must be an integer, got ${end}`);
  }
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
  const s = clampIdx(start);
  const e = Math.max(clampIdx(end ?? dim), s);
  const len = e - s;
  const [outer, , inner] = splitAtAxis(x.shape, a);
  const outShape = [...x.shape];
  outShape[a] = len;
  const out = allocLike(x, outer * len * inner);
  kernels.copyRows(x.data, s * inner, dim * inner, out, 0, len * inner, outer, len * inner, false);
  return record(new Tensor(out, outShape), 'slice', [x], (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.copyRows(g, 0, len * inner, gx, s * inner, dim * inner, outer, len * inner, true);
  });
}

/**
 * Splits along `axis` into pieces of `sizeOrSizes` elements (the last may be smaller), or into
 * pieces of the listed sizes, which must add up to the dimension (PyTorch's `torch.split`).
 */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis(axis, x.ndim, 'split');
  const dim = x.shape[a] ?? 1;
  let sizes: number[];
  if (typeof sizeOrSizes === 'number') {
    if (!Number.isInteger(sizeOrSizes) || sizeOrSizes <= 0) {
      throw new ValueError(`split: size must be a positive integer, got ${sizeOrSizes}`);
    }
    sizes = [];
    for (let s = 0; s < dim; s += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, dim - s));
    if (sizes.length === 0) sizes.push(0);
  } else {
    sizes = [...sizeOrSizes];
    if (sizes.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new ValueError(`split: sizes [${sizes.join(', ')}] must be non-negative integers`);
    }
    const sum = sizes.reduce((p, s) => p + s, 0);
    if (sum !== dim) {
      throw new ShapeError(
        `split: sizes [${sizes.join(', ')}] add up to ${sum} but dimension ${a} of ${formatShape(x.shape)} is ${dim}`,
      );
    }
  }
  const pieces: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    pieces.push(slice(x, a, start, start + s));
    start += s;
  }
  return pieces;
}

/**
 * Splits along `axis` into `n` pieces of ⌈dim/n⌉ elements (the last may be smaller, and fewer
 * than n pieces come back when dim is not enough), as PyTorch's `torch.chunk`.
 */
export function chunk(x: Tensor, n: number, axis = 0): Tensor[] {
  if (!Number.isInteger(n) || n <= 0) throw new ValueError(`chunk: n must be a positive integer, got ${n}`);
  const a = normalizeAxis(axis, x.ndim, 'chunk');
  const dim = x.shape[a] ?? 1;
  return split(x, Math.max(Math.ceil(dim / n), 1), a);
}

function checkIndex(index: Tensor, op: string): Int32Array {
  if (index.dtype !== 'int32') {
    throw new DTypeError(
      `${op}: index must be an int32 tensor, got ${index.dtype} of shape ${formatShape(index.shape)}`,
    );
  }
  return index.i32;
}

function checkRange(idx: Int32Array, indexShape: Shape, dim: number, op: string, axis: number): void {
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i]!;
    if (k < 0 || k >= dim) {
      throw new IndexError(
        `${op}: index ${k} at position ${positionOf(i, indexShape)} is out of range for dimension ${axis} of size ${dim} (expected 0 ≤ index < ${dim})`,
      );
    }
  }
}

/** Picks the entries `index` (int32, 1-D) along `axis`: result dimension `axis` has index.length entries. */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normalizeAxis(axis, x.ndim, 'indexSelect');
  const idx = checkIndex(index, 'indexSelect');
  if (index.ndim !== 1) {
    throw new ShapeError(`indexSelect: index must be 1-D, got shape ${formatShape(index.shape)}`);
  }
  const [outer, dim, inner] = splitAtAxis(x.shape, a);
  checkRange(idx, index.shape, dim, 'indexSelect', a);
  const outShape = x.ndim === 0 ? [idx.length] : [...x.shape];
  outShape[a] = idx.length;
  const out = allocLike(x, outer * idx.length * inner);
  kernels.indexSelect(x.data, outer, dim, inner, idx, out);
  return record(new Tensor(out, outShape), 'indexSelect', [x], (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.indexAdd(g, outer, dim, inner, idx, gx);
  });
}

/**
 * PyTorch's `torch.gather`: index (int32) has x's rank and sizes ≤ x's off the axis; the
 * result has index's shape with out[i][j][k] = x[i][index[i][j][k]][k] (for axis 1).
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normalizeAxis(axis, x.ndim, 'gather');
  const idx = checkIndex(index, 'gather');
  const ok = index.ndim === x.ndim && index.shape.every((d, k) => k === a || d <= x.shape[k]!);
  if (!ok) {
    throw new ShapeError(
      `gather: index shape ${formatShape(index.shape)} must have the rank of x ${formatShape(x.shape)} and no larger size outside axis ${a}`,
    );
  }
  checkRange(idx, index.shape, x.shape[a] ?? 1, 'gather', a);
  const out = allocLike(x, idx.length);
  kernels.gather(x.data, x.shape, a, idx, index.shape, out);
  return record(new Tensor(out, index.shape), 'gather', [x], (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.scatterAdd(g, index.shape, a, idx, gx, x.shape);
  });
}

/** Repeats x along its size-1 (or missing leading) dimensions to `shape` (NumPy broadcasting). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const target = broadcastShapes(x.shape, shape, 'broadcastTo');
  if (!sameShape(target, shape)) {
    throw new ShapeError(
      `broadcastTo: shape ${formatShape(x.shape)} cannot be broadcast to ${formatShape(shape)}`,
    );
  }
  if (sameShape(x.shape, shape)) return x;
  const out = allocLike(x, numel(shape));
  kernels.broadcastTo(x.data, x.shape, out, shape);
  return record(new Tensor(out, shape), 'broadcastTo', [x], (g, grads) => {
    const gx = grads(x);
    if (gx) kernels.sumToShape(g, shape, gx, x.shape);
  });
}
