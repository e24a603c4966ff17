import { numel, type Shape, sameShape } from '../../tensor/shape.js';
import { type KernelArgs, type Kernels, registerKernel } from '../registry.js';
import { broadcastStrides, forEachBroadcast } from './broadcast.js';

/** The operations of the binary kernel. */
export type BinaryOp = KernelArgs<'binary'>[0];

const binaryJs: Kernels['binary'] = function binaryJs(op, a, aShape, b, bShape, out, outShape) {
  const n = out.length;
  // Fast paths: equal shapes as large as the output (both [1] into [3] broadcast instead), and b a
  // scalar or a trailing row (bias) repeated over a.
  if (sameShape(aShape, bShape) && numel(aShape) === n) {
    if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
    else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
    else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
    else for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!;
    return;
  }
  if (a.length === n && isTrailingBlock(bShape, outShape)) {
    const m = b.length;
    for (let i = 0; i < n; i += m) {
      if (op === 'add') for (let j = 0; j < m; j++) out[i + j] = a[i + j]! + b[j]!;
      else if (op === 'sub') for (let j = 0; j < m; j++) out[i + j] = a[i + j]! - b[j]!;
      else if (op === 'mul') for (let j = 0; j < m; j++) out[i + j] = a[i + j]! * b[j]!;
      else for (let j = 0; j < m; j++) out[i + j] = a[i + j]! / b[j]!;
    }
    return;
  }
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  if (op === 'add') forEachBroadcast(outShape, sa, sb, (o, i, j) => (out[o] = a[i]! + b[j]!));
  else if (op === 'sub') forEachBroadcast(outShape, sa, sb, (o, i, j) => (out[o] = a[i]! - b[j]!));
  else if (op === 'mul') forEachBroadcast(outShape, sa, sb, (o, i, j) => (out[o] = a[i]! * b[j]!));
  else forEachBroadcast(outShape, sa, sb, (o, i, j) => (out[o] = a[i]! / b[j]!));
};

/** True when `shape`'s elements repeat as one contiguous block across `outShape` (e.g. a bias row). */
function isTrailingBlock(shape: Shape, outShape: Shape): boolean {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  const tail = shape.slice(i);
  const outTail = outShape.slice(outShape.length - tail.length);
  return tail.length <= outShape.length && sameShape(tail, outTail);
}

const sumToShapeJs: Kernels['sumToShape'] = function sumToShapeJs(src, srcShape, dst, dstShape) {
  if (sameShape(srcShape, dstShape)) {
    for (let i = 0; i < src.length; i++) dst[i]! += src[i]!;
    return;
  }
  if (isTrailingBlock(dstShape, srcShape)) {
    const m = dst.length;
    for (let i = 0; i < src.length; i += m) for (let j = 0; j < m; j++) dst[j]! += src[i + j]!;
    return;
  }
  const sd = broadcastStrides(dstShape, srcShape);
  const ss = broadcastStrides(srcShape, srcShape);
  forEachBroadcast(srcShape, ss, sd, (_o, i, j) => (dst[j]! += src[i]!));
};

registerKernel('binary', 'js', binaryJs);
registerKernel('sumToShape', 'js', sumToShapeJs);
