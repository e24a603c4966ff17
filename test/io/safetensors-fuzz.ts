/**
 * Seeded fuzzing of the safetensors reader, shared by the fast test slice and
 * scripts/fuzz-safetensors.ts. Each case starts from a valid random file and breaks it one way.
 */
import {
  dtypeBytes,
  parseSafetensors,
  type SafetensorsDType,
  SafetensorsError,
  serializeSafetensors,
} from '../../src/io/safetensors.js';
import { Generator } from '../../src/tensor/random.js';

const DTYPES: SafetensorsDType[] = ['F32', 'F16', 'BF16', 'F64', 'I32', 'I64', 'U8', 'BOOL', 'I8', 'U16'];

export const MUTATIONS = [
  'valid',
  'flip-bytes',
  'truncate',
  'append',
  'header-length',
  'offsets-past-end',
  'overlap',
  'wrong-dtype',
  'huge-shape',
  'non-utf8',
  'duplicate-key',
  'schema',
  'splice-header',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

export interface FuzzCase {
  mutation: Mutation;
  bytes: Uint8Array;
}

function randomBytes(gen: Generator, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = gen.randint(256);
  return b;
}

/**
 * A valid random file, laid out here by hand (not by the writer under test): 1 to 4 tensors
 * of random dtypes and small shapes, sometimes metadata, header padded to 8 bytes or not.
 */
export function validFile(gen: Generator): Uint8Array {
  const header: Record<string, unknown> = {};
  if (gen.random() < 0.5) header.__metadata__ = { format: 'pt', seed: String(gen.randint(1000)) };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const count = 1 + gen.randint(4);
  for (let i = 0; i < count; i++) {
    const dtype = pick(gen, DTYPES);
    const shape = Array.from({ length: gen.randint(4) }, () => gen.randint(4));
    const raw = randomBytes(gen, shape.reduce((a, b) => a * b, 1) * dtypeBytes(dtype));
    if (dtype === 'BOOL') for (let k = 0; k < raw.length; k++) raw[k]! &= 1;
    header[`layer.${i}.w${gen.randint(3)}`] = { dtype, shape, data_offsets: [offset, offset + raw.length] };
    chunks.push(raw);
    offset += raw.length;
  }
  let text = JSON.stringify(header);
  if (gen.random() < 0.7) text += ' '.repeat((8 - (text.length % 8)) % 8);
  const data = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return join(text, data);
}

interface Parts {
  header: Record<string, unknown>;
  data: Uint8Array;
}

function split(bytes: Uint8Array): Parts {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return {
    header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>,
    data: bytes.subarray(8 + n),
  };
}

function join(headerText: string | Uint8Array, data: Uint8Array): Uint8Array {
  const h = typeof headerText === 'string' ? new TextEncoder().encode(headerText) : headerText;
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function entries(p: Parts): Array<[string, { dtype: string; shape: number[]; data_offsets: number[] }]> {
  return Object.entries(p.header).filter(([k]) => k !== '__metadata__') as never;
}

function pick<T>(gen: Generator, xs: readonly T[]): T {
  return xs[gen.randint(xs.length)]!;
}

/** Breaks a valid file according to `mutation`. */
export function mutate(gen: Generator, bytes: Uint8Array, mutation: Mutation): Uint8Array {
  const p = split(bytes);
  const es = entries(p);
  const target = es.length ? pick(gen, es)[1] : null;
  switch (mutation) {
    case 'valid':
      return bytes;
    case 'flip-bytes': {
      const out = bytes.slice();
      const k = 1 + gen.randint(4);
      for (let i = 0; i < k; i++) out[gen.randint(out.length)] ^= 1 << gen.randint(8);
      return out;
    }
    case 'truncate':
      return bytes.slice(0, gen.randint(bytes.length));
    case 'append': {
      const extra = randomBytes(gen, 1 + gen.randint(16));
      const out = new Uint8Array(bytes.length + extra.length);
      out.set(bytes);
      out.set(extra, bytes.length);
      return out;
    }
    case 'header-length': {
      const out = bytes.slice();
      const dv = new DataView(out.buffer);
      const choices = [
        2n ** 64n - 1n,
        2n ** 63n,
        BigInt(100_000_001),
        BigInt(100_000_000),
        BigInt(bytes.length),
        BigInt(bytes.length - 7),
        0n,
        1n,
        BigInt(gen.nextU32()) * 2n ** 32n + BigInt(gen.nextU32()),
      ];
      dv.setBigUint64(0, pick(gen, choices), true);
      return out;
    }
    case 'offsets-past-end':
      if (target) {
        const extra = 1 + gen.randint(2 ** 20);
        target.data_offsets = [target.data_offsets[0]!, target.data_offsets[1]! + extra];
        if (gen.random() < 0.3) target.data_offsets = [2 ** 53 - 2, 2 ** 53 - 1];
      }
      return join(JSON.stringify(p.header), p.data);
    case 'overlap':
      if (target) {
        const shift = 1 + gen.randint(8);
        const [b, e] = target.data_offsets as [number, number];
        target.data_offsets =
          gen.random() < 0.5 ? [Math.max(0, b - shift), e] : [Math.max(0, b - shift), e - shift];
      }
      return join(JSON.stringify(p.header), p.data);
    case 'wrong-dtype':
      if (target) target.dtype = pick(gen, [...DTYPES, 'F8_E4M3', 'f32', 'FLOAT', 'I128', '', 'F4']);
      return join(JSON.stringify(p.header), p.data);
    case 'huge-shape':
      if (target) {
        target.shape = pick(gen, [
          [2 ** 30, 2 ** 30],
          [2 ** 20, 2 ** 20, 2 ** 20],
          [2 ** 53 - 1, 2 ** 53 - 1],
          [2 ** 53 - 1],
          [0, 2 ** 53 - 1],
          [2 ** 31, 2 ** 31, 0],
        ]);
      }
      // 2**60 written as digits: above 2^53, so it parses to an unsafe integer.
      return join(
        JSON.stringify(p.header).replace(/"shape":\[(\d+)/, '"shape":[1152921504606846976'),
        p.data,
      );
    case 'non-utf8': {
      const h = new TextEncoder().encode(JSON.stringify(p.header));
      const bad = pick(gen, [
        [0xff],
        [0xc3],
        [0xed, 0xa0, 0x80],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
        [0xef, 0xbb, 0xbf],
      ]);
      const at = bad[0] === 0xef ? 0 : 1 + gen.randint(Math.max(1, h.length - 2));
      const out = new Uint8Array(h.length + bad.length);
      out.set(h.subarray(0, at));
      out.set(bad, at);
      out.set(h.subarray(at), at + bad.length);
      return join(out, p.data);
    }
    case 'duplicate-key': {
      let text = JSON.stringify(p.header);
      if (target && gen.random() < 0.5) {
        text = text.replace('"dtype":', `"dtype":"${target.dtype}","dtype":`);
      } else if (es.length) {
        const [name, info] = pick(gen, es);
        const key = gen.random() < 0.5 ? JSON.stringify(name) : JSON.stringify(name).replace('l', '\\u006c');
        text = `{${key}:${JSON.stringify(info)},${text.slice(1)}`;
      } else {
        text = '{"__metadata__":{},"__metadata__":{}}';
      }
      return join(text, p.data);
    }
    case 'schema': {
      const choice = gen.randint(10);
      const h = p.header as Record<string, unknown>;
      const t = target as Record<string, unknown> | null;
      if (choice === 0) h.__metadata__ = { a: 1 };
      else if (choice === 1) h.__metadata__ = ['x'];
      else if (choice === 2 && t) t.extra = 1;
      else if (choice === 3 && t) delete t[pick(gen, ['dtype', 'shape', 'data_offsets'])];
      else if (choice === 4 && t) t.shape = [-1];
      else if (choice === 5 && t) t.data_offsets = [0.5, 1];
      else if (choice === 6 && t) t.data_offsets = [0];
      else if (choice === 7) h[`x${gen.randint(9)}`] = pick(gen, [null, 3, 'F32', [1, 2], {}]);
      else if (choice === 8)
        return join(pick(gen, ['[]', '"x"', ' {}', '{', '{}}', `${'['.repeat(5000)}`]), p.data);
      else if (t) t.shape = ['1'];
      return join(JSON.stringify(h), p.data);
    }
    case 'splice-header': {
      const h = new TextEncoder().encode(JSON.stringify(p.header));
      const at = gen.randint(h.length + 1);
      const len = gen.randint(Math.min(8, h.length - at) + 1);
      const junk = new TextEncoder().encode(
        pick(gen, ['"', '{', '}', ',', ':', '\\', '0', '-', ' ', 'null', '1e999']),
      );
      const out = new Uint8Array(h.length - len + junk.length);
      out.set(h.subarray(0, at));
      out.set(junk, at);
      out.set(h.subarray(at + len), at + junk.length);
      return join(out, p.data);
    }
  }
}

/** Case `i` of the stream seeded by `seed`: independent of every other case. */
export function fuzzCase(seed: number, i: number): FuzzCase {
  const gen = new Generator(seed * 1_000_003 + i);
  const mutation = MUTATIONS[i % MUTATIONS.length]!;
  return { mutation, bytes: mutate(gen, validFile(gen), mutation) };
}

/**
 * Parses `bytes` and checks the outcome: either a consistent file (every tensor's byte size is
 * its dtype × shape, the tensors fill the data section, a re-serialization parses back to the
 * same content) or a SafetensorsError. Anything else is thrown as a failure.
 */
export function checkCase(bytes: Uint8Array): 'parsed' | 'rejected' {
  let file: ReturnType<typeof parseSafetensors>;
  try {
    file = parseSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) return 'rejected';
    throw new Error(`not a SafetensorsError: ${String(e)}`);
  }
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  let total = 0;
  for (const [name, t] of file.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n || t.data.byteLength !== n * dtypeBytes(t.dtype)) {
      throw new Error(`tensor "${name}" holds ${t.data.length} elements for shape [${t.shape}]`);
    }
    total += t.data.byteLength;
  }
  if (total !== bytes.length - 8 - headerLen)
    throw new Error(`tensors cover ${total} bytes of the data section`);
  const again = parseSafetensors(serializeSafetensors(file.tensors, file.metadata));
  if (JSON.stringify(again.metadata) !== JSON.stringify(file.metadata)) throw new Error('metadata changed');
  for (const [name, t] of file.tensors) {
    const u = again.tensors.get(name);
    const a = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const b = u && new Uint8Array(u.data.buffer, u.data.byteOffset, u.data.byteLength);
    if (
      !u ||
      u.dtype !== t.dtype ||
      `${u.shape}` !== `${t.shape}` ||
      !b ||
      a.length !== b.length ||
      a.some((x, k) => x !== b[k])
    ) {
      throw new Error(`tensor "${name}" changed in a round trip`);
    }
  }
  return 'parsed';
}
