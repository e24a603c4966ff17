/**
 * Storages and tensors of a torch.save file. A storage is a flat run of little-endian elements
 * (one zip entry, or one block of the legacy format); a tensor is a view into one: an element
 * offset, a size and a stride per dimension. Views are copied out into contiguous row-major
 * arrays after checking that every element they reach lies inside the storage.
 */
import type { SafetensorsArrays, SafetensorsData } from '../safetensors.js';
import type { TorchFileError } from './errors.js';
import type { PickleObject } from './pickle.js';

/** The element types kioku reads, named as in safetensors. */
export type TorchDType = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** torch.<Name>Storage → element type. */
export const STORAGE_DTYPES: Readonly<Record<string, TorchDType>> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

type Ctor = new (length: number) => SafetensorsData;
const ARRAYS: Record<TorchDType, Ctor & { BYTES_PER_ELEMENT: number }> = {
  F32: Float32Array,
  F64: Float64Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

export const elementBytes = (dtype: TorchDType): number => ARRAYS[dtype].BYTES_PER_ELEMENT;

/** A storage class named by a GLOBAL (torch.FloatStorage …): data, never called. */
export class StorageType implements PickleObject {
  readonly pickleObject: string;
  constructor(
    readonly name: string,
    readonly dtype: TorchDType,
  ) {
    this.pickleObject = `the storage type torch.${name}`;
  }
}

/** A storage named by a persistent id; its elements are read after the pickle. */
export class StorageRef implements PickleObject {
  readonly pickleObject = 'a storage';
  constructor(
    readonly key: string,
    readonly dtype: TorchDType,
    readonly numel: number,
  ) {}
}

/** A tensor read from a torch.save file: contiguous row-major elements of its dtype. */
export class TorchTensor<D extends TorchDType = TorchDType> implements PickleObject {
  readonly pickleObject = 'a tensor';
  constructor(
    readonly dtype: D,
    readonly shape: number[],
    public data: SafetensorsArrays[D],
    public requiresGrad: boolean,
  ) {}
}

/** A view waiting for its storage's elements (the legacy format stores them after the pickle). */
export interface PendingView {
  tensor: TorchTensor;
  storage: StorageRef;
  offset: number;
  stride: number[];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A storage's elements as a typed array (an aligned copy, byte-swapped when the file's order differs). */
export function storageElements(
  bytes: Uint8Array,
  ref: StorageRef,
  fileLittleEndian: boolean,
  fail: (m: string) => TorchFileError,
): SafetensorsData {
  const size = elementBytes(ref.dtype);
  if (bytes.length !== ref.numel * size) {
    throw fail(
      `storage "${ref.key}" should hold ${ref.numel} ${ref.dtype} elements (${ref.numel * size} bytes), found ${bytes.length} bytes`,
    );
  }
  const out = new ARRAYS[ref.dtype](ref.numel);
  const raw = new Uint8Array(out.buffer);
  raw.set(bytes);
  if (fileLittleEndian !== LITTLE_ENDIAN && size > 1) {
    for (let i = 0; i < raw.length; i += size) raw.subarray(i, i + size).reverse();
  }
  return out;
}

/** Elements of a shape, or -1 past 2^53. */
export function shapeNumel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (d !== 0 && n > Number.MAX_SAFE_INTEGER / d) return -1;
    n *= d;
  }
  return n;
}

/** The tensor's elements copied out of its storage; throws when the view reaches past the storage. */
export function copyView(
  view: PendingView,
  elements: SafetensorsData,
  fail: (m: string) => TorchFileError,
): void {
  const { tensor, storage, offset, stride } = view;
  const shape = tensor.shape;
  const n = shapeNumel(shape);
  const out = new ARRAYS[tensor.dtype](n);
  if (n > 0) {
    let last = offset;
    for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * stride[d]!;
    if (last >= storage.numel) {
      throw fail(
        `a ${tensor.dtype} tensor of shape (${shape.join(', ')}) with offset ${offset} and strides (${stride.join(', ')}) reaches element ${last} of storage "${storage.key}", which holds ${storage.numel}`,
      );
    }
    gather(out, elements, shape, stride, offset);
  }
  tensor.data = out as TorchTensor['data'];
}

/** out[i] = src[offset + Σ index_d · stride_d] over the row-major indices of `shape`. */
function gather(
  out: SafetensorsData,
  src: SafetensorsData,
  shape: readonly number[],
  stride: readonly number[],
  offset: number,
): void {
  const o = out as unknown as { [i: number]: number | bigint };
  const s = src as unknown as { [i: number]: number | bigint };
  const nd = shape.length;
  let contiguous = true;
  for (let d = nd - 1, expect = 1; d >= 0; expect *= shape[d]!, d--) {
    if (shape[d] !== 1 && stride[d] !== expect) contiguous = false;
  }
  if (contiguous) {
    (out as Uint8Array).set((src as Uint8Array).subarray(offset, offset + out.length));
    return;
  }
  const index = new Array<number>(nd).fill(0);
  let at = offset;
  for (let i = 0; i < out.length; i++) {
    o[i] = s[at]!;
    // Odometer: step the last dimension, carrying into earlier ones.
    for (let d = nd - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) {
        at += stride[d]!;
        break;
      }
      index[d] = 0;
      at -= (shape[d]! - 1) * stride[d]!;
    }
  }
}
