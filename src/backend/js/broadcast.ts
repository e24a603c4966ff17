import type { Shape } from '../../tensor/shape.js';

/**
 * Strides of `shape` read as a broadcast operand of `outShape` (0 along broadcast dims),
 * aligned to outShape's rank.
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = rank - shape.length + i;
    strides[o] = shape[i] === 1 && outShape[o] !== 1 ? 0 : acc;
    acc *= shape[i]!;
  }
  return strides;
}

/**
 * Walks every output index of `outShape`, calling `fn(outIndex, aIndex, bIndex)` with the
 * flat offsets of both broadcast operands. The innermost dimension runs as a tight loop.
 */
export function forEachBroadcast(
  outShape: Shape,
  aStrides: readonly number[],
  bStrides: readonly number[],
  fn: (o: number, ia: number, ib: number) => void,
): void {
  const rank = outShape.length;
  if (rank === 0) {
    fn(0, 0, 0);
    return;
  }
  const inner = outShape[rank - 1]!;
  const sa = aStrides[rank - 1]!;
  const sb = bStrides[rank - 1]!;
  let outer = 1;
  for (let d = 0; d < rank - 1; d++) outer *= outShape[d]!;
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  let o = 0;
  for (let r = 0; r < outer; r++) {
    let xa = ia;
    let xb = ib;
    for (let j = 0; j < inner; j++, xa += sa, xb += sb) fn(o++, xa, xb);
    // odometer over the outer dimensions
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      ia += aStrides[d]!;
      ib += bStrides[d]!;
      if (idx[d]! < outShape[d]!) break;
      ia -= aStrides[d]! * outShape[d]!;
      ib -= bStrides[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}
