/**
 * Reads torch.save files (.pt, .pth) safely: the zip format of PyTorch ≥ 1.6 and the legacy
 * format before it. Bytes in, data out (no `node:` imports). The pickle inside is run by a
 * restricted interpreter that only builds state_dict values — dicts, lists, tuples, numbers,
 * strings, bytes and tensors — and refuses every other callable with an UnsafePickleError.
 */
import { ValueError } from '../../tensor/errors.js';
import { MAX_HEADER_BYTES } from '../safetensors.js';
import { TorchFileError, UnsafePickleError } from './errors.js';
import { type TorchHookContext, torchHooks } from './hooks.js';
import { kind, type PickleFailures, type PickleLimits, type PickleValue, unpickle } from './pickle.js';
import { copyView, elementBytes, type StorageRef, storageElements, TorchTensor } from './tensors.js';
import { readStoredZip } from './zip.js';

/** A value read from a torch.save file; tensors are {@link TorchTensor}s, dicts Maps, tuples frozen arrays. */
export type TorchValue = PickleValue;

export interface TorchLimits extends PickleLimits {
  /** Bytes of the pickle (data.pkl). Default 64 MiB. */
  maxPickleBytes?: number;
  /** Bytes of all tensors copied out together. Default 8 × the file size + 1 MiB (views may repeat a storage). */
  maxTensorBytes?: number;
}

export interface ReadTorchOptions {
  /** Names the file in error messages (a path or URL). */
  source?: string;
  limits?: TorchLimits;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

interface Read {
  ctx: TorchHookContext;
  failures: PickleFailures;
  storages: Map<string, StorageRef>;
  limits: TorchLimits;
}

function start(bytes: Uint8Array, options: ReadTorchOptions): Read {
  const where = options.source === undefined ? 'torch file' : `torch file "${options.source}"`;
  const reading = options.source === undefined ? 'a torch file' : `"${options.source}"`;
  const failures: PickleFailures = {
    fail: (m) => new TorchFileError(`${where}: ${m}`),
    refuse: (action) =>
      new UnsafePickleError(
        `${action} while reading ${reading}: only state_dict tensors can be read; save with safetensors instead`,
      ),
  };
  const limits = {
    maxPickleBytes: 64 * 2 ** 20,
    maxTensorBytes: 8 * bytes.length + 2 ** 20,
    ...options.limits,
  };
  const ctx: TorchHookContext = { ...failures, views: [] };
  return { ctx, failures, storages: new Map(), limits };
}

/** Fills every view from its storage, within the byte budget. */
function materialize(r: Read, elementsOf: (ref: StorageRef) => ReturnType<typeof storageElements>): void {
  let total = 0;
  for (const v of r.ctx.views) {
    total += v.tensor.shape.reduce((a, b) => a * b, 1) * elementBytes(v.tensor.dtype);
    if (total > r.limits.maxTensorBytes!) {
      throw r.failures.fail(
        `the tensors need more than ${r.limits.maxTensorBytes} bytes (limits.maxTensorBytes); the file is ${r.ctx.views.length} views of its storages`,
      );
    }
  }
  const cache = new Map<string, ReturnType<typeof storageElements>>();
  for (const v of r.ctx.views) {
    let elements = cache.get(v.storage.key);
    if (elements === undefined) cache.set(v.storage.key, (elements = elementsOf(v.storage)));
    copyView(v, elements, r.failures.fail);
  }
}

function checkPickleSize(r: Read, n: number): void {
  if (n > r.limits.maxPickleBytes!) {
    throw r.failures.fail(
      `the pickle is ${n} bytes, over the limit of ${r.limits.maxPickleBytes} (limits.maxPickleBytes)`,
    );
  }
}

function readZip(bytes: Uint8Array, r: Read): TorchValue {
  const { fail } = r.failures;
  const entries = readStoredZip(bytes, fail);
  const pickles = [...entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1) {
    const names = [...entries.keys()].slice(0, 8).join(', ');
    const jit = [...entries.keys()].some((n) => n.endsWith('/constants.pkl'));
    throw fail(
      jit
        ? 'this is a TorchScript archive (torch.jit.save), which holds code; save model.state_dict() with torch.save instead'
        : `expected one <archive>/data.pkl entry, found ${pickles.length} (entries: ${names})`,
    );
  }
  const prefix = pickles[0]!.slice(0, -'data.pkl'.length);
  const order = entries.get(`${prefix}byteorder`);
  const byteorder = order === undefined ? 'little' : new TextDecoder().decode(order).trim();
  if (byteorder !== 'little' && byteorder !== 'big')
    throw fail(`byteorder must be little or big, got "${byteorder}"`);
  const pickle = entries.get(pickles[0]!)!;
  checkPickleSize(r, pickle.length);
  const { value, end } = unpickle(pickle, torchHooks(r.ctx, r.storages), r.failures, { limits: r.limits });
  if (end !== pickle.length) throw fail(`${pickle.length - end} bytes follow the pickle's STOP in data.pkl`);
  materialize(r, (ref) => {
    const data = entries.get(`${prefix}data/${ref.key}`);
    if (data === undefined)
      throw fail(`the archive has no entry ${prefix}data/${ref.key} for storage "${ref.key}"`);
    return storageElements(data, ref, byteorder === 'little', fail);
  });
  return value;
}

/** The legacy format: magic, protocol and system-info pickles, the object, the storage keys, then raw storages. */
function readLegacy(bytes: Uint8Array, r: Read): TorchValue {
  const { fail } = r.failures;
  const hooks = torchHooks(r.ctx, r.storages);
  let at = 0;
  const next = (): PickleValue => {
    const out = unpickle(bytes, hooks, r.failures, { start: at, limits: r.limits });
    checkPickleSize(r, out.end - at);
    at = out.end;
    return out.value;
  };
  if (next() !== LEGACY_MAGIC) throw fail('not a torch.save file: the legacy magic number is missing');
  const protocol = next();
  if (protocol !== LEGACY_PROTOCOL) throw fail(`legacy protocol ${kind(protocol)} is not ${LEGACY_PROTOCOL}`);
  const info = next();
  if (!(info instanceof Map) || info.get('little_endian') !== true) {
    throw fail('only little-endian legacy files are supported; re-save the file with torch.save');
  }
  const value = next();
  const keys = next();
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw fail(`the legacy storage key list must be a list of strings, got ${kind(keys)}`);
  }
  const blocks = new Map<string, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys as string[]) {
    const ref = r.storages.get(key);
    if (ref === undefined) throw fail(`storage "${key}" is listed but no tensor uses it`);
    if (at + 8 > bytes.length) throw fail(`the file ends before storage "${key}"`);
    const numel = view.getBigInt64(at, true);
    const size = BigInt(ref.numel * elementBytes(ref.dtype));
    if (numel !== BigInt(ref.numel) || BigInt(at + 8) + size > BigInt(bytes.length)) {
      throw fail(
        `storage "${key}" should hold ${ref.numel} elements, its block says ${numel} (or runs past the end)`,
      );
    }
    blocks.set(key, bytes.subarray(at + 8, at + 8 + Number(size)));
    at += 8 + Number(size);
  }
  if (at !== bytes.length) throw fail(`${bytes.length - at} bytes follow the last storage`);
  materialize(r, (ref) => {
    const block = blocks.get(ref.key);
    if (block === undefined) throw fail(`storage "${ref.key}" is used but not stored`);
    return storageElements(block, ref, true, fail);
  });
  return value;
}

/**
 * Reads a torch.save file and returns the saved object: tensors as {@link TorchTensor}
 * (contiguous copies of their views, in their own dtype), dicts and OrderedDicts as Maps,
 * lists as arrays, tuples as frozen arrays, ints as numbers (bigints past 2^53). Throws
 * {@link UnsafePickleError} for a pickle that names any callable outside the state_dict
 * allowlist, and {@link TorchFileError} for anything malformed or over a limit.
 */
export function readTorchFile(bytes: Uint8Array, options: ReadTorchOptions = {}): TorchValue {
  if (!(bytes instanceof Uint8Array)) {
    throw new ValueError(
      `readTorchFile: bytes must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`,
    );
  }
  const r = start(bytes, options);
  if (ZIP_MAGIC.every((b, i) => bytes[i] === b)) return readZip(bytes, r);
  if (bytes[0] === 0x80) return readLegacy(bytes, r);
  if (bytes.length > 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') {
    throw r.failures.fail(
      'the tar format of PyTorch < 0.4 is not supported; load and re-save the file with torch.save',
    );
  }
  throw r.failures.fail('not a torch.save file (neither a zip archive nor a pickle)');
}

/**
 * True when the bytes start like a torch.save file: a zip archive, or a pickle (protocol 2–5)
 * whose first 8 bytes, read as a safetensors header length, would exceed that format's limit —
 * so no valid safetensors file is ever taken for a torch file.
 */
export function isTorchFile(bytes: Uint8Array): boolean {
  if (ZIP_MAGIC.every((b, i) => bytes[i] === b)) return true;
  if (bytes.length < 8 || bytes[0] !== 0x80 || bytes[1]! < 2 || bytes[1]! > 5) return false;
  const lengthIfSafetensors = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return lengthIfSafetensors > BigInt(MAX_HEADER_BYTES);
}
