/**
 * Seeded fuzzing of the torch.save reader, shared by the test slice and scripts/fuzz.ts. Each
 * case takes a committed PyTorch fixture and breaks it one way. Damage inside data.pkl or a
 * storage is re-zipped with fresh CRCs, so it reaches the pickle interpreter and the view
 * checks instead of stopping at the CRC; the legacy file has no CRC at all.
 */
import { readFileSync } from 'node:fs';
import { readTorchFile, TorchFileError, TorchTensor, type TorchValue } from '../../src/io/torch/index.js';
import { shapeNumel } from '../../src/io/torch/tensors.js';
import { readStoredZip } from '../../src/io/torch/zip.js';
import { Generator } from '../../src/tensor/random.js';
import { concat, storedZip } from './torch-archive.js';

const FILES = ['lstm_classifier.pt', 'dtypes.pt', 'views.pt', 'checkpoint.pt', 'parameters.pt'];
const dir = new URL('../../fixtures/torch/', import.meta.url);
const cache = new Map<string, Uint8Array>();
const fixture = (name: string): Uint8Array => {
  let b = cache.get(name);
  if (b === undefined) cache.set(name, (b = new Uint8Array(readFileSync(new URL(name, dir)))));
  return b;
};

export const MUTATIONS = [
  'valid',
  'flip-file',
  'truncate-file',
  'flip-pickle',
  'truncate-pickle',
  'splice-pickle',
  'numbers',
  'storage-size',
  'legacy',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

const pick = <T>(gen: Generator, xs: readonly T[]): T => xs[gen.randint(xs.length)]!;

function flip(gen: Generator, bytes: Uint8Array, from = 0): Uint8Array {
  const out = bytes.slice();
  const k = 1 + gen.randint(4);
  for (let i = 0; i < k; i++) out[from + gen.randint(out.length - from)] ^= 1 << gen.randint(8);
  return out;
}

/** Opcodes and arguments that stress the interpreter when spliced in. */
const SPLICES = [
  [0x28],
  [0x74],
  [0x52],
  [0x62],
  [0x51],
  [0x75],
  [0x65],
  [0x2e],
  [0x30],
  [0x31],
  [0x32],
  [0x68, 0xff],
  [0x6a, 0xff, 0xff, 0xff, 0x7f],
  [0x8b, 0xff, 0xff, 0xff, 0xff],
  [0x58, 0xff, 0xff, 0xff, 0xff],
  [0x4a, 0xff, 0xff, 0xff, 0xff],
  [0x4a, 0x00, 0x00, 0x00, 0x40],
  [0x63, 0x6f, 0x73, 0x0a, 0x73, 0x79, 0x73, 0x74, 0x65, 0x6d, 0x0a],
  [0x81],
  [0x95, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
];

/** data.pkl changed by `change`, the other entries kept, re-zipped. */
function rezip(bytes: Uint8Array, change: (name: string, data: Uint8Array) => Uint8Array): Uint8Array {
  const entries = readStoredZip(bytes, (m) => new TorchFileError(m));
  return storedZip([...entries].map(([name, data]) => [name, change(name, data)]));
}

function mutatePickle(gen: Generator, pkl: Uint8Array, mutation: Mutation): Uint8Array {
  switch (mutation) {
    case 'flip-pickle':
      return flip(gen, pkl, 2);
    case 'truncate-pickle':
      return pkl.slice(0, gen.randint(pkl.length));
    case 'splice-pickle': {
      const at = 2 + gen.randint(pkl.length - 2);
      return concat(pkl.subarray(0, at), pick(gen, SPLICES), pkl.subarray(at));
    }
    default: {
      // 'numbers': the argument of some BININT1 (sizes, strides, offsets, numels) made large or zero.
      const out = pkl.slice();
      const spots = [...out.keys()].filter((i) => out[i] === 0x4b && i + 1 < out.length);
      for (let k = 0; k < 3 && spots.length; k++)
        out[pick(gen, spots) + 1] = pick(gen, [0, 1, 2, 255, 7, 64]);
      return out;
    }
  }
}

export function mutate(gen: Generator, mutation: Mutation): Uint8Array {
  if (mutation === 'legacy') return flip(gen, fixture('gru_legacy.pt'));
  const bytes = fixture(pick(gen, FILES));
  switch (mutation) {
    case 'valid':
      return bytes;
    case 'flip-file':
      return flip(gen, bytes);
    case 'truncate-file':
      return bytes.slice(0, gen.randint(bytes.length));
    case 'storage-size': {
      // One storage made shorter or longer than its tensors' dtype and size say.
      const delta = pick(gen, [-4, -1, 1, 8]);
      const names = [...readStoredZip(bytes, (m) => new TorchFileError(m)).keys()];
      const victim = pick(
        gen,
        names.filter((n) => n.includes('/data/')),
      );
      const changed = (d: Uint8Array) =>
        delta < 0 && d.length >= -delta
          ? d.slice(0, d.length + delta)
          : concat(d, new Uint8Array(Math.abs(delta)));
      return rezip(bytes, (name, d) => (name === victim ? changed(d) : d));
    }
    default:
      return rezip(bytes, (name, d) => (name.endsWith('/data.pkl') ? mutatePickle(gen, d, mutation) : d));
  }
}

export interface FuzzCase {
  mutation: Mutation;
  bytes: Uint8Array;
}

/** Case `i` of the stream seeded by `seed`: independent of every other case. */
export function fuzzCase(seed: number, i: number): FuzzCase {
  const gen = new Generator(seed * 1_000_003 + i);
  const mutation = MUTATIONS[i % MUTATIONS.length]!;
  return { mutation, bytes: mutate(gen, mutation) };
}

/** Every tensor reachable from a value (a visited set, since pickles may build cycles). */
function tensorsIn(root: TorchValue): TorchTensor[] {
  const out: TorchTensor[] = [];
  const seen = new Set<object>();
  const todo: TorchValue[] = [root];
  while (todo.length) {
    const v = todo.pop()!;
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof TorchTensor) out.push(v);
    else if (v instanceof Map) for (const [k, x] of v) todo.push(k, x);
    else if (Array.isArray(v)) todo.push(...(v as TorchValue[]));
  }
  return out;
}

/**
 * Reads `bytes`: either every tensor read holds exactly the elements of its shape, or the
 * reader throws a TorchFileError (UnsafePickleError included). Anything else is a failure.
 */
export function checkCase(bytes: Uint8Array): 'read' | 'rejected' {
  let value: TorchValue;
  try {
    value = readTorchFile(bytes);
  } catch (e) {
    if (e instanceof TorchFileError) return 'rejected';
    throw new Error(`not a TorchFileError: ${String(e)}`);
  }
  for (const t of tensorsIn(value)) {
    if (t.data.length !== shapeNumel(t.shape)) {
      throw new Error(`a tensor of shape (${t.shape}) holds ${t.data.length} elements`);
    }
  }
  return 'read';
}
