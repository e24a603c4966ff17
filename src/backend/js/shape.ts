import type { Shape } from '../../tensor/shape.js';
import type { TypedArray } from '../../tensor/tensor.js';
import { type Kernels, registerKernel } from '../registry.js';
import { broadcastStrides } from './broadcast.js';

/** (outer, dim, inner) view of `shape` around `axis`: the sizes before, at and after it. */
export function splitAtAxis(shape: Shape, axis: number): [number, number, number] {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d]!;
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]!;
  return [outer, shape[axis] ?? 1, inner];
}

/** The multi-dimensional position of flat element `flat` in `shape`, as `[i, j, …]`. */
export function positionOf(flat: number, shape: Shape): string {
  const pos = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    pos[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return `[${pos.join(', ')}]`;
}

const copyRowsJs: Kernels['copyRows'] = function copyRowsJs(
  src,
  sOff,
  sStride,
  dst,
  dOff,
  dStride,
  rows,
  cols,
  accumulate,
) {
  if (!accumulate && cols >= 64) {
    for (let r = 0; r < rows; r++) {
      const s = sOff + r * sStride;
      dst.set(src.subarray(s, s + cols), dOff + r * dStride);
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s = sOff + r * sStride;
    const d = dOff + r * dStride;
    if (accumulate) for (let c = 0; c < cols; c++) dst[d + c]! += src[s + c]!;
    else for (let c = 0; c < cols; c++) dst[d + c] = src[s + c]!;
  }
};

/**
 * Walks the row-major elements of `shape`, reading the source at offsets given by `strides`
 * (one per dimension of `shape`); writes (or adds) them to `out` in order. The innermost
 * dimension runs as a tight strided loop; the outer ones advance an odometer.
 */
function stridedCopy(
  src: TypedArray,
  shape: Shape,
  strides: readonly number[],
  out: TypedArray,
  accumulate: boolean,
): void {
  const rank = shape.length;
  if (rank === 0) {
    if (accumulate) out[0]! += src[0]!;
    else out[0] = src[0]!;
    return;
  }
  const inner = shape[rank - 1]!;
  const si = strides[rank - 1]!;
  let outer = 1;
  for (let d = 0; d < rank - 1; d++) outer *= shape[d]!;
  if (outer === 0 || inner === 0) return;
  const idx = new Int32Array(rank);
  let base = 0;
  let o = 0;
  // A contiguous innermost run (e.g. a (B, T, H) ↔ (T, B, H) swap) copies as one native block.
  const block = !accumulate && si === 1 && inner >= 64;
  for (let r = 0; r < outer; r++) {
    let s = base;
    if (block) {
      out.set(src.subarray(s, s + inner), o);
      o += inner;
    } else if (accumulate) for (let j = 0; j < inner; j++, s += si) out[o++]! += src[s]!;
    else for (let j = 0; j < inner; j++, s += si) out[o++] = src[s]!;
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      base += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

const permuteJs: Kernels['permute'] = function permuteJs(x, shape, perm, out, accumulate) {
  const rank = shape.length;
  const xStrides = new Array<number>(rank);
  let acc = 1;
  for (let d = rank - 1; d >= 0; d--) {
    xStrides[d] = acc;
    acc *= shape[d]!;
  }
  const outShape = perm.map((p) => shape[p]!);
  const strides = perm.map((p) => xStrides[p]!);
  stridedCopy(x, outShape, strides, out, accumulate);
};

const indexSelectJs: Kernels['indexSelect'] = function indexSelectJs(x, outer, dim, inner, index, out) {
  const k = index.length;
  let o = 0;
  for (let r = 0; r < outer; r++) {
    const base = r * dim * inner;
    for (let j = 0; j < k; j++) {
      const s = base + index[j]! * inner;
      for (let c = 0; c < inner; c++) out[o++] = x[s + c]!;
    }
  }
};

const indexAddJs: Kernels['indexAdd'] = function indexAddJs(g, outer, dim, inner, index, gx) {
  const k = index.length;
  let o = 0;
  for (let r = 0; r < outer; r++) {
    const base = r * dim * inner;
    for (let j = 0; j < k; j++) {
      const d = base + index[j]! * inner;
      for (let c = 0; c < inner; c++) gx[d + c]! += g[o++]!;
    }
  }
};

/** x's strides with the gather axis zeroed: the offset of every coordinate but the gathered one. */
function gatherStrides(xShape: Shape, axis: number): [number[], number] {
  const rank = xShape.length;
  const s = new Array<number>(rank);
  let acc = 1;
  for (let d = rank - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= xShape[d]!;
  }
  const axisStride = s[axis] ?? 1;
  if (rank > 0) s[axis] = 0;
  return [s, axisStride];
}

const gatherJs: Kernels['gather'] = function gatherJs(x, xShape, axis, index, indexShape, out) {
  const [strides, axisStride] = gatherStrides(xShape, axis);
  const rank = indexShape.length;
  const n = index.length;
  if (n === 0) return;
  if (rank === 0) {
    out[0] = x[index[0]! * axisStride]!;
    return;
  }
  const inner = indexShape[rank - 1]!;
  const si = strides[rank - 1]!;
  const idx = new Int32Array(rank);
  let base = 0;
  for (let o = 0; o < n; o += inner) {
    let s = base;
    for (let j = 0; j < inner; j++, s += si) out[o + j] = x[s + index[o + j]! * axisStride]!;
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      base += strides[d]!;
      if (idx[d]! < indexShape[d]!) break;
      base -= strides[d]! * indexShape[d]!;
      idx[d] = 0;
    }
  }
};

const scatterAddJs: Kernels['scatterAdd'] = function scatterAddJs(g, indexShape, axis, index, gx, xShape) {
  const [strides, axisStride] = gatherStrides(xShape, axis);
  const rank = indexShape.length;
  const n = index.length;
  if (n === 0) return;
  if (rank === 0) {
    gx[index[0]! * axisStride]! += g[0]!;
    return;
  }
  const inner = indexShape[rank - 1]!;
  const si = strides[rank - 1]!;
  const idx = new Int32Array(rank);
  let base = 0;
  for (let o = 0; o < n; o += inner) {
    let s = base;
    for (let j = 0; j < inner; j++, s += si) gx[s + index[o + j]! * axisStride]! += g[o + j]!;
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      base += strides[d]!;
      if (idx[d]! < indexShape[d]!) break;
      base -= strides[d]! * indexShape[d]!;
      idx[d] = 0;
    }
  }
};

const broadcastToJs: Kernels['broadcastTo'] = function broadcastToJs(src, srcShape, dst, dstShape) {
  if (src.length === dst.length) {
    dst.set(src);
    return;
  }
  if (src.length === 1) {
    dst.fill(src[0]!);
    return;
  }
  stridedCopy(src, dstShape, broadcastStrides(srcShape, dstShape), dst, false);
};

registerKernel('copyRows', 'js', copyRowsJs);
registerKernel('permute', 'js', permuteJs);
registerKernel('indexSelect', 'js', indexSelectJs);
registerKernel('indexAdd', 'js', indexAddJs);
registerKernel('gather', 'js', gatherJs);
registerKernel('scatterAdd', 'js', scatterAddJs);
registerKernel('broadcastTo', 'js', broadcastToJs);
