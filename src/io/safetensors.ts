/**
 * safetensors reader and writer on plain bytes (no `node:` imports; runs in a browser).
 *
 * Layout: 8 bytes little-endian u64 N, then N bytes of UTF-8 JSON (padded with spaces to a
 * multiple of 8 by writers), then the data section. The JSON maps each tensor name to
 * `{dtype, shape, data_offsets: [begin, end)}` (offsets relative to the data section) and may
 * hold `__metadata__`, a string-to-string map. Data is little-endian, row-major, and the tensors
 * tile the data section exactly.
 *
 * The reader is hardened like the reference implementation: every length, offset and byte count
 * is checked before anything is allocated, so a hostile file costs at most its own size.
 */
import { KiokuError, ValueError } from '../tensor/errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { isJsonObject } from './json-strict.js';
import { parseHeader, type RawEntry } from './safetensors-header.js';

/** A malformed safetensors file, or a tensor that cannot be converted as asked. */
export class SafetensorsError extends KiokuError {
  override name = 'SafetensorsError';
}

/** The reference implementation's cap on the JSON header. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Element size in bytes of every dtype the format defines with whole-byte elements. */
const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

export type SafetensorsDType = keyof typeof DTYPE_BYTES;

/**
 * The typed array holding each dtype's elements. F16 and BF16 keep their raw bit patterns
 * (`Uint16Array`); BOOL and the 8-bit floats keep raw bytes.
 */
export interface SafetensorsArrays {
  BOOL: Uint8Array;
  U8: Uint8Array;
  I8: Int8Array;
  F8_E5M2: Uint8Array;
  F8_E4M3: Uint8Array;
  I16: Int16Array;
  U16: Uint16Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I32: Int32Array;
  U32: Uint32Array;
  F32: Float32Array;
  I64: BigInt64Array;
  U64: BigUint64Array;
  F64: Float64Array;
}

export type SafetensorsData = SafetensorsArrays[SafetensorsDType];

type ArrayCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => SafetensorsData;

const align8 = (n: number) => Math.ceil(n / 8) * 8;

const ARRAY_CTOR: Record<SafetensorsDType, ArrayCtor> = {
  BOOL: Uint8Array,
  U8: Uint8Array,
  I8: Int8Array,
  F8_E5M2: Uint8Array,
  F8_E4M3: Uint8Array,
  I16: Int16Array,
  U16: Uint16Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I32: Int32Array,
  U32: Uint32Array,
  F32: Float32Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  F64: Float64Array,
};

/**
 * One tensor of a safetensors file: its dtype, shape and elements. A parsed file's arrays are
 * aligned views into one copy of the data section (never views of the input bytes).
 */
export interface SafetensorsTensor<D extends SafetensorsDType = SafetensorsDType> {
  dtype: D;
  shape: number[];
  data: SafetensorsArrays[D];
}

/** A parsed file: tensors in data-section order, and `__metadata__` (null when absent). */
export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string> | null;
}

/** What the writer takes: a kioku tensor (float32 → F32, int32 → I32) or an explicit dtype and array. */
export type SafetensorsInput = Tensor | SafetensorsTensor;

export interface ParseOptions {
  /** Names the file in error messages (a path or URL). */
  source?: string;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const METADATA_KEY = '__metadata__';

export function isSafetensorsDType(s: unknown): s is SafetensorsDType {
  return typeof s === 'string' && Object.hasOwn(DTYPE_BYTES, s);
}

/** Bytes per element of `dtype`. */
export function dtypeBytes(dtype: SafetensorsDType): number {
  return DTYPE_BYTES[dtype];
}

/**
 * Number of elements of `shape` and its byte size for `dtype`, or an error message when either
 * exceeds 2^53 − 1 (so a 2^60-element shape is refused before anything is allocated).
 */
function byteCount(shape: readonly number[], dtype: SafetensorsDType): number | string {
  let n = 1;
  for (const d of shape) {
    if (d !== 0 && n > Number.MAX_SAFE_INTEGER / d)
      return `shape ${formatShape(shape)} has too many elements`;
    n *= d;
  }
  const size = DTYPE_BYTES[dtype];
  if (n > Number.MAX_SAFE_INTEGER / size) return `shape ${formatShape(shape)} of ${dtype} has too many bytes`;
  return n * size;
}

function swapBytes(b: Uint8Array, elemBytes: number): void {
  for (let i = 0; i < b.length; i += elemBytes) {
    for (let lo = i, hi = i + elemBytes - 1; lo < hi; lo++, hi--) {
      const t = b[lo]!;
      b[lo] = b[hi]!;
      b[hi] = t;
    }
  }
}

function isShapeList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
}

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses a safetensors file. Throws {@link SafetensorsError} naming the first problem found:
 * a PyTorch torch.save file (zip or pickle; the message says how to convert it), a header length over 100 MB or past the end of the file, non-UTF-8 or non-JSON header,
 * duplicate keys, entries of the wrong schema, unknown dtypes, byte counts that do not match
 * dtype × shape, gaps, overlaps, offsets past the end, or trailing bytes.
 */
export function parseSafetensors(bytes: Uint8Array, options: ParseOptions = {}): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) {
    throw new ValueError(`parseSafetensors: bytes must be a Uint8Array, got ${describe(bytes)}`);
  }
  const where = options.source === undefined ? 'safetensors' : `safetensors file "${options.source}"`;
  const fail = (message: string) => new SafetensorsError(`${where}: ${message}`);

  const torchSave = torchSaveKind(bytes);
  if (torchSave !== null) {
    throw fail(
      `this is a PyTorch file written by torch.save (${torchSave}), not safetensors; import it with ` +
        '`kioku import FILE --model DIR --out DIR` (a reader that never runs pickle code), or convert it in ' +
        "Python: safetensors.torch.save_file(model.state_dict(), 'model.safetensors')",
    );
  }
  if (bytes.length < 8) {
    throw fail(`the file is ${bytes.length} bytes long, too short for the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER_BYTES) {
    throw fail(`header length ${view.getBigUint64(0, true)} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  }
  const headerLen = lo;
  if (headerLen > bytes.length - 8) {
    throw fail(
      `header length ${headerLen} does not fit in the file (${bytes.length - 8} bytes follow the length)`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(
      bytes.subarray(8, 8 + headerLen),
    );
  } catch {
    throw fail('the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw fail('the header must be a JSON object starting with "{"');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const entries: Entry[] = [];
  const metadata = parseHeader(text, fail, (e) => entries.push(checkEntry(e, dataLen, fail)));

  // Tensors must tile [0, dataLen) in offset order: no gap, no overlap, nothing left over.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: string | null = null;
  for (const e of entries) {
    if (e.begin < cursor) {
      throw fail(
        `tensor "${e.name}" data_offsets [${e.begin}, ${e.end}] overlap tensor "${previous}" ending at ${cursor}`,
      );
    }
    if (e.begin > cursor) {
      throw fail(
        `bytes [${cursor}, ${e.begin}) of the data section belong to no tensor (next is "${e.name}")`,
      );
    }
    cursor = e.end;
    previous = e.name;
  }
  if (cursor !== dataLen) {
    throw fail(
      `${dataLen - cursor} trailing bytes follow the last tensor (data section is ${dataLen} bytes)`,
    );
  }

  // One owned copy of the data section in which every tensor starts at a multiple of 8, so each
  // view is aligned whatever the file's offsets were. At most 7 padding bytes per tensor.
  let size = 0;
  for (const e of entries) size = align8(size) + (e.end - e.begin);
  const store = new Uint8Array(size);
  const tensors = new Map<string, SafetensorsTensor>();
  let at = 0;
  for (const e of entries) {
    at = align8(at);
    const len = e.end - e.begin;
    const elem = DTYPE_BYTES[e.dtype];
    store.set(bytes.subarray(dataStart + e.begin, dataStart + e.end), at);
    if (!LITTLE_ENDIAN && elem > 1) swapBytes(store.subarray(at, at + len), elem);
    tensors.set(e.name, {
      dtype: e.dtype,
      shape: e.shape,
      data: new ARRAY_CTOR[e.dtype](store.buffer, at, len / elem),
    });
    at += len;
  }
  return { tensors, metadata };
}

/**
 * 'a zip archive' or 'a pickle' when `bytes` start like a torch.save file (its zip format, or the
 * legacy pickle protocol 2–5), else null. A safetensors header starts with "{" at byte 8.
 */
function torchSaveKind(bytes: Uint8Array): string | null {
  if (bytes.length > 8 && bytes[8] === 0x7b) return null;
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)
    return 'a zip archive';
  if (bytes[0] === 0x80 && bytes[1]! >= 2 && bytes[1]! <= 5) return 'a pickle';
  return null;
}

function checkEntry(raw: RawEntry, dataLen: number, fail: (m: string) => Error): Entry {
  const { name, dtype, shape, offsets } = raw;
  const what = `tensor "${name}"`;
  if (!isSafetensorsDType(dtype)) {
    throw fail(
      `${what} has the unknown dtype ${describe(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`,
    );
  }
  if (offsets.length !== 2) {
    throw fail(`${what} data_offsets must be two integers [begin, end], got ${describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw fail(`${what} data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLen) {
    throw fail(
      `${what} data_offsets [${begin}, ${end}] point past the end of the data section (${dataLen} bytes)`,
    );
  }
  const need = byteCount(shape, dtype);
  if (typeof need === 'string') throw fail(`${what}: ${need}`);
  if (need !== end - begin) {
    throw fail(
      `${what}: dtype ${dtype} and shape ${formatShape(shape)} need ${need} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

/** A short description of a JSON value for messages; never recurses (headers may nest deeply). */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    const items = v
      .slice(0, 6)
      .map((x) => (Array.isArray(x) ? '[...]' : isJsonObject(x) ? '{...}' : String(x)));
    return `[${items.join(', ')}${v.length > 6 ? ', ...' : ''}]`;
  }
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'object') return v.constructor?.name ?? 'object';
  return `${typeof v} ${String(v)}`;
}

function normalizeInput(name: string, t: SafetensorsInput): SafetensorsTensor {
  if (t instanceof Tensor) {
    return t.data instanceof Int32Array
      ? { dtype: 'I32', shape: [...t.shape], data: t.data }
      : { dtype: 'F32', shape: [...t.shape], data: t.data };
  }
  const what = `serializeSafetensors: tensor "${name}"`;
  if (typeof t !== 'object' || t === null) {
    throw new ValueError(`${what} must be a Tensor or {dtype, shape, data}, got ${describe(t)}`);
  }
  if (!isSafetensorsDType(t.dtype))
    throw new ValueError(`${what} has the unknown dtype ${describe(t.dtype)}`);
  if (!isShapeList(t.shape)) {
    throw new ValueError(`${what} shape must be a list of non-negative integers, got ${describe(t.shape)}`);
  }
  const ctor = ARRAY_CTOR[t.dtype];
  if (!(t.data instanceof ctor)) {
    throw new ValueError(
      `${what} of dtype ${t.dtype} needs its data in a ${ctor.name}, got ${describe(t.data)}`,
    );
  }
  const need = byteCount(t.shape, t.dtype);
  if (typeof need === 'string') throw new ValueError(`${what}: ${need}`);
  if (need !== t.data.byteLength) {
    throw new ValueError(
      `${what}: shape ${formatShape(t.shape)} needs ${need / DTYPE_BYTES[t.dtype]} elements, data has ${t.data.length}`,
    );
  }
  return t;
}

/**
 * Serializes tensors (a Map or a record, in its iteration order) and optional string metadata.
 * Tensors are laid out by element size, largest first (stable), so with the 8-byte padded
 * header every tensor starts at a multiple of its element size, as the reference writer does.
 */
export function serializeSafetensors(
  tensors: Map<string, SafetensorsInput> | Record<string, SafetensorsInput>,
  metadata: Record<string, string> | null = null,
): Uint8Array {
  if (!(tensors instanceof Map) && !isJsonObject(tensors)) {
    throw new ValueError(
      `serializeSafetensors: tensors must be a Map or an object, got ${describe(tensors)}`,
    );
  }
  const pairs = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  if (metadata !== null) {
    if (!isJsonObject(metadata)) {
      throw new ValueError(
        `serializeSafetensors: metadata must be an object of strings, got ${describe(metadata)}`,
      );
    }
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new ValueError(
          `serializeSafetensors: metadata value of "${k}" must be a string, got ${describe(v)}`,
        );
      }
    }
  }
  const items = pairs.map(([name, t]) => {
    if (name === METADATA_KEY) throw new ValueError(`serializeSafetensors: "${METADATA_KEY}" is reserved`);
    return { name, t: normalizeInput(name, t) };
  });
  items.sort((a, b) => DTYPE_BYTES[b.t.dtype] - DTYPE_BYTES[a.t.dtype]);

  const header: Record<string, unknown> = {};
  if (metadata !== null) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const { name, t } of items) {
    const end = offset + t.data.byteLength;
    Object.defineProperty(header, name, {
      value: { dtype: t.dtype, shape: t.shape, data_offsets: [offset, end] },
      enumerable: true,
    });
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const { t } of items) {
    const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(raw, pos);
    if (!LITTLE_ENDIAN) swapBytes(out.subarray(pos, pos + raw.length), DTYPE_BYTES[t.dtype]);
    pos += raw.length;
  }
  return out;
}

/** IEEE half-precision bits to a number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * A floating-point tensor's values in a new float32 array (F32 copied, F64 rounded, F16 and BF16 widened
 * exactly). `name` is used in the error thrown for other dtypes.
 */
export function toFloat32(t: SafetensorsTensor, name: string): Float32Array {
  switch (t.dtype) {
    case 'F32':
      return (t.data as Float32Array).slice();
    case 'F64':
      return Float32Array.from(t.data as Float64Array);
    case 'F16':
      return Float32Array.from(t.data as Uint16Array, halfToNumber);
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift the bits, keeping NaN payloads exact.
      const out = new Float32Array(t.data.length);
      const bits = new Uint32Array(out.buffer);
      const src = t.data as Uint16Array;
      for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
      return out;
    }
    default:
      throw new SafetensorsError(
        `tensor "${name}" is ${t.dtype}; a floating-point dtype (F32, F64, F16, BF16) is needed for weights`,
      );
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * An integer or boolean tensor's values in a new int32 array (indices, labels, counts). I64, U64 and U32
 * are checked element by element; the first value outside int32 is named in the error.
 */
export function toInt32(t: SafetensorsTensor, name: string): Int32Array {
  switch (t.dtype) {
    case 'I32':
      return (t.data as Int32Array).slice();
    case 'I8':
    case 'I16':
    case 'U8':
    case 'U16':
      return Int32Array.from(t.data as Int8Array | Int16Array | Uint8Array | Uint16Array);
    case 'BOOL':
      return Int32Array.from(t.data as Uint8Array, (b) => (b ? 1 : 0));
    case 'U32':
    case 'I64':
    case 'U64': {
      const src = t.data as Uint32Array | BigInt64Array | BigUint64Array;
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = Number(src[i]!);
        if (v < INT32_MIN || v > INT32_MAX) {
          throw new SafetensorsError(
            `tensor "${name}" (${t.dtype}) holds ${src[i]} at flat index ${i}, outside the int32 range`,
          );
        }
        out[i] = v;
      }
      return out;
    }
    default:
      throw new SafetensorsError(`tensor "${name}" is ${t.dtype}; an integer or BOOL dtype is needed`);
  }
}

const FLOAT_DTYPES: ReadonlySet<SafetensorsDType> = new Set(['F32', 'F64', 'F16', 'BF16']);

/**
 * A kioku tensor from a file tensor: floating-point dtypes become float32, integer and BOOL
 * dtypes int32 (range-checked). 8-bit floats are refused.
 */
export function toKiokuTensor(t: SafetensorsTensor, name: string): Tensor {
  const data = FLOAT_DTYPES.has(t.dtype) ? toFloat32(t, name) : toInt32(t, name);
  return new Tensor(data, t.shape);
}

/** Every tensor of a parsed file as kioku tensors, keyed by name (a state dict). */
export function toStateDict(file: SafetensorsFile): Record<string, Tensor> {
  // fromEntries defines each key, so a tensor named "__proto__" is stored and not taken as the prototype.
  return Object.fromEntries(Array.from(file.tensors, ([name, t]) => [name, toKiokuTensor(t, name)]));
}
