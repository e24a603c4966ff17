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

// Node's Buffer, absent in a browser. Its allocUnsafeSlow asks for memory without the zero fill
// every ArrayBuffer otherwise gets: for an op's large output that fill (a memset of megabytes)
// costs as much as a copy, wasted when the op writes every element anyway.
const NodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(bytes: number): Uint8Array } }).Buffer;

/** Below this many elements the zero fill costs less than the call that skips it. */
const UNFILLED_MIN_ELEMENTS = 1 << 12;

/**
 * allocateFloat32() without the zero fill where the runtime allows it (Node), for a caller that
 * writes every element before anything reads the buffer: its contents start as whatever the
 * memory held. Elsewhere, or for small buffers, it is zero-filled.
 */
export function allocateFloat32Unfilled(n: number, shape: Shape, what: string): Float32Array {
  if (NodeBuffer === undefined || n < UNFILLED_MIN_ELEMENTS) return allocateFloat32(n, shape, what);
  let bytes: Uint8Array;
  try {
    bytes = NodeBuffer.allocUnsafeSlow(4 * n);
  } catch {
    return allocateFloat32(n, shape, what);
  }
  return new Float32Array(bytes.buffer, bytes.byteOffset, n);
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
