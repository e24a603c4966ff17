import type { DType, TypedArray } from './dtype.js';
import { ValueError } from './errors.js';
import { formatShape, type Shape } from './shape.js';

/**
 * A zero-filled buffer of n elements for a tensor of `shape` made by `what`. A size the
 * JavaScript engine cannot allocate (past its typed-array limit, or more memory than it can get)
 * throws a ValueError naming the shape and the bytes it would take, instead of a bare RangeError.
 */
export function allocate(n: number, dtype: DType, shape: Shape, what: string): TypedArray {
  try {
    return dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new ValueError(
      `${what}: ${dtype === 'int32' ? 'an' : 'a'} ${dtype} tensor of shape ${formatShape(shape)} needs ${n} elements (${formatBytes(4 * n)}), more than can be allocated (${e.message})`,
    );
  }
}

/** allocate() for float32. */
export function allocateFloat32(n: number, shape: Shape, what: string): Float32Array {
  return allocate(n, 'float32', shape, what) as Float32Array;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}
