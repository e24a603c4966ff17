/**
 * Hand-made torch.save files for the reader's tests and fuzzing: a stored-zip writer (laid out
 * here, independently of the reader) and pickle opcodes as bytes.
 */
import { crc32 } from '../../src/io/torch/zip.js';

const enc = new TextEncoder();

export function concat(...parts: Array<Uint8Array | number[]>): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const u16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** A zip archive of stored entries (method 0 unless `method` says otherwise), without ZIP64 records. */
export function storedZip(entries: Array<[string, Uint8Array]>, method = 0): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = enc.encode(name);
    const common = [
      ...u16(method),
      0,
      0,
      0,
      0,
      ...u32(crc32(data)),
      ...u32(data.length),
      ...u32(data.length),
    ];
    const local = concat([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0], common, u16(n.length), u16(0), n, data);
    centrals.push(
      concat(
        [0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0],
        common,
        u16(n.length),
        u16(0),
        u16(0),
        u16(0),
        u16(0),
        u32(0),
        u32(offset),
        n,
      ),
    );
    locals.push(local);
    offset += local.length;
  }
  const dir = concat(...centrals);
  const end = concat(
    [0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0],
    u16(entries.length),
    u16(entries.length),
    u32(dir.length),
    u32(offset),
    u16(0),
  );
  return concat(...locals, dir, end);
}

// Pickle opcodes (protocol 2) as bytes.
export const op = {
  proto: [0x80, 2],
  stop: [0x2e],
  mark: [0x28],
  emptyTuple: [0x29],
  emptyList: [0x5d],
  emptyDict: [0x7d],
  tuple: [0x74],
  tuple2: [0x86],
  setitem: [0x73],
  setitems: [0x75],
  append: [0x61],
  reduce: [0x52],
  build: [0x62],
  persid: [0x51],
  newobj: [0x81],
  false: [0x89],
  none: [0x4e],
  global: (module: string, name: string) => [0x63, ...enc.encode(`${module}\n${name}\n`)],
  str: (s: string) => {
    const b = enc.encode(s);
    return [0x58, ...u32(b.length), ...b];
  },
  int: (v: number) => [0x4a, ...u32(v)],
  put: (i: number) => [0x71, i],
  get: (i: number) => [0x68, i],
};

/** Pickle bytes from opcode lists. */
export const pickle = (...ops: number[][]): Uint8Array => concat(...ops.map((o) => Uint8Array.from(o)));

const intTuple = (xs: number[]) => [...op.mark, ...xs.flatMap((x) => op.int(x)), ...op.tuple];

/** _rebuild_tensor_v2 of float storage `key` (numel elements) with a size, stride and offset. */
export function tensorOps(
  key: string,
  numel: number,
  size: number[],
  stride: number[],
  offset = 0,
): number[] {
  return [
    ...op.global('torch._utils', '_rebuild_tensor_v2'),
    ...op.mark,
    ...op.mark,
    ...op.str('storage'),
    ...op.global('torch', 'FloatStorage'),
    ...op.str(key),
    ...op.str('cpu'),
    ...op.int(numel),
    ...op.tuple,
    ...op.persid,
    ...op.int(offset),
    ...intTuple(size),
    ...intTuple(stride),
    ...op.false,
    ...op.global('collections', 'OrderedDict'),
    ...op.emptyTuple,
    ...op.reduce,
    ...op.tuple,
    ...op.reduce,
  ];
}

/** {name: tensor} as a plain dict pickle. */
export function dictPickle(items: Array<[string, number[]]>): Uint8Array {
  return pickle(
    op.proto,
    op.emptyDict,
    op.mark,
    ...items.flatMap(([k, v]) => [op.str(k), v]),
    op.setitems,
    op.stop,
  );
}

/** A torch.save-style archive: data.pkl, float32 storages, version. */
export function torchArchive(pkl: Uint8Array, storages: Record<string, number[]> = {}): Uint8Array {
  const entries: Array<[string, Uint8Array]> = [['archive/data.pkl', pkl]];
  for (const [key, values] of Object.entries(storages)) {
    entries.push([`archive/data/${key}`, new Uint8Array(Float32Array.from(values).buffer)]);
  }
  entries.push(['archive/version', enc.encode('3\n')]);
  return storedZip(entries);
}
