import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MAX_HEADER_BYTES,
  parseSafetensors,
  type SafetensorsDType,
  SafetensorsError,
  type SafetensorsTensor,
  serializeSafetensors,
  toFloat32,
  toInt32,
  toKiokuTensor,
  toStateDict,
} from '../../src/io/safetensors.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors-node.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/safetensors');

interface Expected {
  metadata: Record<string, string> | null;
  tensors: Record<
    string,
    { dtype: string; shape: number[]; float32?: Array<number | string>; int64?: string[]; int?: number[] }
  >;
}

function fixture(name: string): { bytes: Uint8Array; expected: Expected & Record<string, unknown> } {
  return {
    bytes: new Uint8Array(readFileSync(join(FIXTURES, `${name}.safetensors`))),
    expected: JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')),
  };
}

const special = (v: number | string) =>
  v === 'inf'
    ? Number.POSITIVE_INFINITY
    : v === '-inf'
      ? Number.NEGATIVE_INFINITY
      : v === 'nan'
        ? Number.NaN
        : v;

function bytesOf(t: SafetensorsTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** A file built by hand from a header object and a data section. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), headerText?: string): Uint8Array {
  const h = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const f32 = (n: number) => ({ dtype: 'F32', shape: [n], data_offsets: [0, 4 * n] });

describe('safetensors: files written on the PyTorch side', () => {
  for (const name of ['dtypes', 'unaligned', 'linear']) {
    it(`reads ${name}.safetensors with the values PyTorch holds`, () => {
      const { bytes, expected } = fixture(name);
      const file = parseSafetensors(bytes);
      expect(file.metadata).toEqual(expected.metadata);
      expect([...file.tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
      for (const [key, e] of Object.entries(expected.tensors)) {
        const t = file.tensors.get(key)!;
        expect(t.dtype).toBe(e.dtype);
        expect(t.shape).toEqual(e.shape);
        if (e.float32) expect(Array.from(toFloat32(t, key))).toEqual(e.float32.map(special));
        if (e.int64) expect(Array.from(t.data as BigInt64Array, String)).toEqual(e.int64);
        if (e.int) expect(Array.from(toInt32(t, key))).toEqual(e.int);
      }
    });
  }

  it('writes byte for byte what the PyTorch-side writer wrote', () => {
    for (const name of ['dtypes', 'linear']) {
      const { bytes } = fixture(name);
      const file = parseSafetensors(bytes);
      expect(serializeSafetensors(file.tensors, file.metadata)).toEqual(bytes);
    }
  });

  it('converts to kioku tensors: floats to float32, integers to int32 with a range check', () => {
    const file = parseSafetensors(fixture('dtypes').bytes);
    const i64 = toKiokuTensor(file.tensors.get('i64')!, 'i64');
    expect(i64.dtype).toBe('int32');
    expect(i64.tolist()).toEqual([
      [0, -1, 2147483647],
      [-2147483648, 42, 7],
    ]);
    expect(toKiokuTensor(file.tensors.get('bool')!, 'bool').tolist()).toEqual([1, 0, 1]);
    expect(toKiokuTensor(file.tensors.get('scalar')!, 'scalar').shape).toEqual([]);
    expect(toKiokuTensor(file.tensors.get('scalar')!, 'scalar').item()).toBe(2.5);
    expect(() => toInt32(file.tensors.get('i64_big')!, 'i64_big')).toThrow(
      /tensor "i64_big" \(I64\) holds 1099511627776 at flat index 0, outside the int32 range/,
    );
    expect(() => toFloat32(file.tensors.get('i32')!, 'i32')).toThrow(SafetensorsError);
    expect(() => toInt32(file.tensors.get('f32')!, 'f32')).toThrow(/tensor "f32" is F32; an integer/);
    const sd = toStateDict(parseSafetensors(fixture('linear').bytes));
    expect(Object.keys(sd).sort()).toEqual(['bias', 'weight']);
    expect(sd.weight!.dtype).toBe('float32');
  });

  it('copies misaligned data instead of viewing it', () => {
    const { bytes } = fixture('unaligned');
    const file = parseSafetensors(bytes);
    const w = file.tensors.get('w')!;
    expect(w.data.byteOffset % 4).toBe(0);
    expect(w.data.buffer).not.toBe(bytes.buffer);
  });
});

describe('safetensors: round trips', () => {
  const gen = new Generator(11);
  const rand = (n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = gen.randint(256);
    return b.buffer;
  };

  it('keeps every dtype bit for bit, including NaN payloads, empty tensors and scalars', () => {
    const tensors = new Map<string, SafetensorsTensor>([
      ['f32', { dtype: 'F32', shape: [3, 5], data: new Float32Array(rand(60)) }],
      ['f64', { dtype: 'F64', shape: [2, 2], data: new Float64Array(rand(32)) }],
      ['f16', { dtype: 'F16', shape: [7], data: new Uint16Array(rand(14)) }],
      ['bf16', { dtype: 'BF16', shape: [1, 3], data: new Uint16Array(rand(6)) }],
      ['i32', { dtype: 'I32', shape: [4], data: new Int32Array(rand(16)) }],
      ['i64', { dtype: 'I64', shape: [2], data: new BigInt64Array(rand(16)) }],
      ['u8', { dtype: 'U8', shape: [3], data: new Uint8Array(rand(3)) }],
      ['bool', { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) }],
      ['scalar', { dtype: 'F32', shape: [], data: new Float32Array([Math.PI]) }],
      ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
      ['empty_i64', { dtype: 'I64', shape: [2, 0], data: new BigInt64Array(0) }],
    ]);
    new Uint32Array(tensors.get('f32')!.data.buffer)[0] = 0x7fc01234; // NaN with a payload
    const metadata = { format: 'pt', clé: 'välue', empty: '' };
    const bytes = serializeSafetensors(tensors, metadata);
    const back = parseSafetensors(bytes);
    expect(back.metadata).toEqual(metadata);
    expect([...back.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const u = back.tensors.get(name)!;
      expect(u.dtype).toBe(t.dtype);
      expect(u.shape).toEqual(t.shape);
      expect(u.data.constructor).toBe(t.data.constructor);
      expect(bytesOf(u)).toEqual(bytesOf(t));
    }
    expect(serializeSafetensors(back.tensors, back.metadata)).toEqual(bytes);
  });

  it('pads the header with spaces to 8 bytes and aligns every tensor to its element size', () => {
    const bytes = serializeSafetensors(
      {
        a: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
        b: { dtype: 'F64', shape: [1], data: new Float64Array([1]) },
        c: { dtype: 'F16', shape: [1], data: new Uint16Array([1]) },
        d: tensor([1, 2]),
      },
      null,
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text).toBe(
      `${JSON.stringify({
        b: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
        d: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
        c: { dtype: 'F16', shape: [1], data_offsets: [16, 18] },
        a: { dtype: 'U8', shape: [3], data_offsets: [18, 21] },
      })}`.padEnd(n, ' '),
    );
  });

  it('writes kioku tensors as F32 and I32 and reads them back equal', () => {
    const w = tensor(
      [
        [0.1, -2],
        [3.5, 1e-30],
      ],
      { requiresGrad: true },
    );
    const ids = tensor([3, -1, 2 ** 31 - 1], { dtype: 'int32' });
    const sd = toStateDict(parseSafetensors(serializeSafetensors({ 'lstm.weight_ih_l0': w, ids })));
    expect(sd['lstm.weight_ih_l0']!.f32).toEqual(w.f32);
    expect(sd['lstm.weight_ih_l0']!.shape).toEqual([2, 2]);
    expect(sd.ids!.i32).toEqual(ids.i32);
  });

  it('keeps a tensor named __proto__ as an ordinary name', () => {
    const bytes = serializeSafetensors(new Map([['__proto__', tensor([1, 2])]]));
    const sd = toStateDict(parseSafetensors(bytes));
    expect(Object.keys(sd)).toEqual(['__proto__']);
    expect(Array.from(Object.getOwnPropertyDescriptor(sd, '__proto__')!.value.f32)).toEqual([1, 2]);
  });

  it('refuses bad writer arguments with ValueError', () => {
    expect(() =>
      serializeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }),
    ).toThrow(/tensor "a": shape \(3,\) needs 3 elements, data has 2/);
    expect(() =>
      serializeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float64Array(2) } as never }),
    ).toThrow(/dtype F32 needs its data in a Float32Array, got Float64Array/);
    expect(() =>
      serializeSafetensors({ a: { dtype: 'X' as SafetensorsDType, shape: [], data: new Uint8Array(1) } }),
    ).toThrow(ValueError);
    expect(() => serializeSafetensors({ __metadata__: tensor([1]) })).toThrow(/"__metadata__" is reserved/);
    expect(() => serializeSafetensors({}, { n: 1 } as never)).toThrow(
      /metadata value of "n" must be a string/,
    );
  });
});

describe('safetensors: hostile and broken files', () => {
  const four = new Uint8Array(16);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    [
      'a file shorter than 8 bytes',
      new Uint8Array(5),
      /5 bytes long, too short for the 8-byte header length/,
    ],
    [
      'a header length of 2^64 − 1',
      (() => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
        return b;
      })(),
      /header length 18446744073709551615 exceeds the limit of 100000000 bytes/,
    ],
    [
      'a header length just over the cap',
      (() => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
        return b;
      })(),
      /exceeds the limit/,
    ],
    [
      'a header length past the end',
      (() => {
        const b = build({});
        new DataView(b.buffer).setBigUint64(0, 3n, true);
        return b.subarray(0, 10);
      })(),
      /header length 3 does not fit in the file \(2 bytes follow the length\)/,
    ],
    [
      'a header that is not UTF-8',
      build(null, undefined, '{"a\xff":1}').map((v, i, b) => (i === b.length - 4 ? 0xff : v)),
      /not valid UTF-8/,
    ],
    [
      'a header starting with a byte-order mark',
      build(null, undefined, '\ufeff{}'),
      /must be a JSON object starting with "\{"/,
    ],
    [
      'a header that is not JSON',
      build(null, undefined, '{"a" 1}'),
      /the header is not valid JSON: expected ":" at character 5, found "1"/,
    ],
    ['a JSON array header', build([]), /starting with "\{"/],
    [
      'duplicate tensor names',
      build(null, four, `{"w":${JSON.stringify(f32(4))},"w":${JSON.stringify(f32(4))}}`),
      /the header has the key "w" twice/,
    ],
    [
      'duplicate names spelled with escapes',
      build(null, four, `{"w":${JSON.stringify(f32(4))},"\\u0077":${JSON.stringify(f32(4))}}`),
      /the header has the key "w" twice/,
    ],
    [
      'a duplicate field inside an entry',
      build(null, four, '{"w":{"dtype":"I32","dtype":"F32","shape":[4],"data_offsets":[0,16]}}'),
      /tensor "w" has the field "dtype" twice/,
    ],
    ['a truncated header', build(null, undefined, '{"a":'), /tensor "a" must be an object, got no value/],
    [
      'junk after the header object',
      build(null, undefined, '{}{}'),
      /expected nothing after the closing "\}" at character 2/,
    ],
    [
      'duplicate metadata keys',
      build(null, undefined, '{"__metadata__":{"a":"1","a":"2"}}'),
      /"__metadata__" has the key "a" twice/,
    ],
    [
      'two metadata objects',
      build(null, undefined, '{"__metadata__":{},"__metadata__":null}'),
      /the header has the key "__metadata__" twice/,
    ],
    [
      'a lone surrogate escape',
      build(null, undefined, '{"\\ud800":1}'),
      /expected a low surrogate after a high surrogate/,
    ],
    [
      'a control character in a name',
      build(null, undefined, '{"a\nb":1}'),
      /expected no control character inside a string/,
    ],
    [
      'deeply nested lists',
      build(null, undefined, `{"w":{"dtype":"F32","shape":${'['.repeat(100_000)}`),
      /tensor "w" shape must hold non-negative integers below 2\^53, got a list/,
    ],
    [
      'an exponent in an offset',
      build(null, four, '{"w":{"dtype":"U8","shape":[16],"data_offsets":[0,1.6e1]}}'),
      /got 1\.6e1/,
    ],
    [
      'a leading zero',
      build(null, four, '{"w":{"dtype":"U8","shape":[016],"data_offsets":[0,16]}}'),
      /got 016/,
    ],
    [
      'a dtype that is not a string',
      build(null, four, '{"w":{"dtype":4,"shape":[4],"data_offsets":[0,16]}}'),
      /tensor "w" dtype must be a string, got a number/,
    ],
    [
      'three offsets',
      build({ w: { dtype: 'U8', shape: [16], data_offsets: [0, 16, 16] } }, four),
      /data_offsets must be two integers \[begin, end\], got \[0, 16, 16\]/,
    ],
    [
      'non-string metadata',
      build({ __metadata__: { epoch: 3 } }),
      /"__metadata__" value of "epoch" must be a string, got a number/,
    ],
    [
      'an unknown field',
      build({ w: { ...f32(4), extra: 1 } }, four),
      /tensor "w" has the unknown field "extra"/,
    ],
    [
      'a missing field',
      build({ w: { dtype: 'F32', shape: [4] } }, four),
      /tensor "w" lacks the field "data_offsets"/,
    ],
    [
      'an unknown dtype',
      build({ w: { ...f32(4), dtype: 'F128' } }, four),
      /tensor "w" has the unknown dtype "F128"/,
    ],
    [
      'a negative dimension',
      build({ w: { ...f32(4), shape: [-4] } }, four),
      /tensor "w" shape must hold non-negative integers below 2\^53, got -4/,
    ],
    [
      'a 2^60-element shape',
      build({ w: { dtype: 'F32', shape: [2 ** 30, 2 ** 30], data_offsets: [0, 16] } }, four),
      /tensor "w": shape \(1073741824, 1073741824\) has too many elements/,
    ],
    [
      'a 2^60 dimension',
      build(null, four, '{"w":{"dtype":"U8","shape":[1152921504606846976],"data_offsets":[0,16]}}'),
      /shape must hold non-negative integers below 2\^53, got 1152921504606846976/,
    ],
    [
      'a byte count overflowing 2^53',
      build({ w: { dtype: 'F64', shape: [2 ** 52], data_offsets: [0, 16] } }, four),
      /has too many bytes/,
    ],
    [
      'a size that does not match dtype × shape',
      build({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, four),
      /dtype F32 and shape \(3,\) need 12 bytes but data_offsets \[0, 16\] span 16/,
    ],
    [
      'offsets past the end',
      build({ w: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }, four),
      /data_offsets \[0, 32\] point past the end of the data section \(16 bytes\)/,
    ],
    [
      'offsets that end before they begin',
      build({ w: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, four),
      /end before they begin/,
    ],
    [
      'overlapping tensors',
      build(
        {
          a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
          b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
        },
        four,
      ),
      /tensor "b" data_offsets \[8, 16\] overlap tensor "a" ending at 12/,
    ],
    [
      'a gap between tensors',
      build(
        {
          a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
        },
        four,
      ),
      /bytes \[4, 8\) of the data section belong to no tensor \(next is "b"\)/,
    ],
    ['trailing bytes', build({ w: f32(3) }, four), /4 trailing bytes follow the last tensor/],
    [
      'fractional offsets',
      build({ w: { dtype: 'U8', shape: [16], data_offsets: [0, 16.5] } }, four),
      /data_offsets must hold non-negative integers below 2\^53, got 16\.5/,
    ],
  ];
  for (const [what, bytes, message] of cases) {
    it(`rejects ${what}`, () => {
      let error: unknown;
      try {
        parseSafetensors(bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SafetensorsError);
      expect((error as Error).message).toMatch(message);
    });
  }

  it('accepts an empty file ({} header) and names the source in errors', () => {
    expect(parseSafetensors(build({})).tensors.size).toBe(0);
    expect(() => parseSafetensors(new Uint8Array(3), { source: 'm.safetensors' })).toThrow(
      /^safetensors file "m.safetensors": /,
    );
    expect(() => parseSafetensors([1, 2] as never)).toThrow(ValueError);
  });
});

describe('safetensors: files on disk', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes atomically and reads back; errors name the path', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kioku-st-'));
    const path = join(dir, 'w.safetensors');
    await writeSafetensors(path, { w: tensor([1, 2, 3]) }, { step: '4' });
    const file = await readSafetensors(path);
    expect(file.metadata).toEqual({ step: '4' });
    expect(Array.from(file.tensors.get('w')!.data as Float32Array)).toEqual([1, 2, 3]);
    expect(new Uint8Array(await readFile(path))).toEqual(
      serializeSafetensors({ w: tensor([1, 2, 3]) }, { step: '4' }),
    );
    await expect(readSafetensors(join(dir, 'nope.safetensors'))).rejects.toThrow(
      /cannot read ".*nope\.safetensors"/,
    );
  });
});
