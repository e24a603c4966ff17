import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importPytorchStateDict } from '../../src/io/pytorch.js';
import {
  SafetensorsError,
  serializeSafetensors,
  toFloat32,
  toKiokuTensor,
} from '../../src/io/safetensors.js';
import {
  readTorchFile,
  TorchFileError,
  TorchTensor,
  type TorchValue,
  torchStateDict,
  UnsafePickleError,
} from '../../src/io/torch/index.js';
import { TextClassifier } from '../../src/nn/heads.js';
import { GRU } from '../../src/nn/rnn.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { ValueError } from '../../src/tensor/errors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from './helpers.js';
import { dictPickle, op, pickle, storedZip, tensorOps, torchArchive } from './torch-archive.js';

const dir = new URL('../../fixtures/torch/', import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));

type Expected =
  | null
  | boolean
  | number
  | string
  | { tensor: string; shape: number[]; values: Array<number | string | boolean>; requiresGrad: boolean }
  | { dict: Array<[Expected, Expected]> }
  | { tuple: Expected[] }
  | { list: Expected[] }
  | { bytes: number[] }
  | { bigint: string }
  | { float: number | string };

const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as {
  files: Record<string, Expected>;
  malicious: Record<string, string>;
  pwned: string;
  reference: {
    'lstm_classifier.pt': {
      config: ConstructorParameters<typeof TextClassifier>[0];
      ids: number[];
      idsShape: number[];
      lengths: number[];
      logits: number[];
    };
    'gru.pt': { x: number[]; xShape: number[]; y: number[]; hN: number[] };
  };
};

const num = (v: number | string): number =>
  v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : (v as number);

/** The tensor's values as numbers (F16/BF16 widened, I64 converted). */
function values(t: TorchTensor): number[] {
  if (t.dtype === 'F16' || t.dtype === 'BF16') return Array.from(toFloat32(t, 'x'));
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** Fails at the first place where the value read differs from what PyTorch saved. */
function expectValue(got: TorchValue, want: Expected, path: string): void {
  if (want === null || typeof want !== 'object') {
    expect(got, path).toBe(want);
    return;
  }
  if ('tensor' in want) {
    expect(got, path).toBeInstanceOf(TorchTensor);
    const t = got as TorchTensor;
    expect([t.dtype, t.shape, t.requiresGrad], path).toEqual([want.tensor, want.shape, want.requiresGrad]);
    expect(values(t), path).toEqual(want.values.map((v) => (typeof v === 'boolean' ? Number(v) : num(v))));
    if (t.dtype === 'I64')
      expect(Array.from(t.data as BigInt64Array), path).toEqual(want.values.map((v) => BigInt(v)));
  } else if ('dict' in want) {
    expect(got, path).toBeInstanceOf(Map);
    const m = got as Map<TorchValue, TorchValue>;
    expect([...m.keys()], path).toEqual(want.dict.map(([k]) => k));
    for (const [k, v] of want.dict) expectValue(m.get(k as string | number)!, v, `${path}.${k}`);
  } else if ('tuple' in want || 'list' in want) {
    const items = 'tuple' in want ? want.tuple : want.list;
    expect(Array.isArray(got) && Object.isFrozen(got), `${path} is a tuple`).toBe('tuple' in want);
    expect((got as TorchValue[]).length, path).toBe(items.length);
    items.forEach((w, i) => {
      expectValue((got as TorchValue[])[i]!, w, `${path}[${i}]`);
    });
  } else if ('bytes' in want) expect(Array.from(got as Uint8Array), path).toEqual(want.bytes);
  else if ('bigint' in want) expect(got, path).toBe(BigInt(want.bigint));
  else expect(got, path).toBe(num(want.float));
}

describe('readTorchFile reads what torch.save wrote (PyTorch 1.13 fixtures)', () => {
  for (const [name, want] of Object.entries(expected.files)) {
    it(name, () => expectValue(readTorchFile(fixture(name), { source: name }), want, name));
  }
});

describe('state_dicts from .pt files load into kioku models and give PyTorch outputs', () => {
  it('an LSTM text classifier', () => {
    const ref = expected.reference['lstm_classifier.pt'];
    const model = new TextClassifier(ref.config).eval();
    model.loadStateDict(importPytorchStateDict(fixture('lstm_classifier.pt')));
    const ids = new Tensor(Int32Array.from(ref.ids), ref.idsShape);
    const logits = noGrad(() => model.forward(ids, Int32Array.from(ref.lengths)));
    expectClose(logits.f32, ref.logits, 1e-5, 'logits');
  });

  for (const file of ['gru.pt', 'gru_legacy.pt']) {
    it(`a bidirectional 2-layer GRU (${file})`, () => {
      const ref = expected.reference['gru.pt'];
      const gru = new GRU({
        inputSize: 3,
        hiddenSize: 4,
        numLayers: 2,
        bidirectional: true,
        batchFirst: true,
      });
      gru.loadStateDict(importPytorchStateDict(fixture(file), { source: file }));
      const [y, hN] = noGrad(() => gru.forward(new Tensor(Float32Array.from(ref.x), ref.xShape)));
      expectClose(y.f32, ref.y, 1e-5, 'output');
      expectClose(hN.f32, ref.hN, 1e-5, 'h_n');
    });
  }

  it('converts dtypes as safetensors does: floats to float32, integers to int32', () => {
    const read = readTorchFile(fixture('dtypes.pt')) as Map<string, TorchTensor>;
    const kioku = (name: string) => toKiokuTensor(read.get(name)!, name);
    expect(kioku('f64').dtype).toBe('float32');
    expect(Array.from(kioku('f16').f32)).toEqual([0.0999755859375, -2.5, 65504, 2 ** -24, Infinity, -0]);
    expect(Array.from(kioku('i64small').i32)).toEqual([3, -4, 0, 12]);
    expect(Array.from(kioku('bool').i32)).toEqual([1, 0, 1]);
    // -2^40 does not fit in int32: named, not wrapped.
    expect(() => importPytorchStateDict(fixture('dtypes.pt'))).toThrow(/"i64".*outside the int32 range/);
  });

  it('a checkpoint dict needs the key of its state_dict, and says which', () => {
    const bytes = fixture('checkpoint.pt');
    expect(() => torchStateDict(bytes)).toThrow(TorchFileError);
    expect(() => torchStateDict(bytes)).toThrow(
      /expected a state_dict.*"epoch": number 3.*pass key: "model"/,
    );
    const sd = importPytorchStateDict(bytes, { key: 'model', stripPrefix: 'lstm.' });
    expect(Object.keys(sd)).toEqual([
      'embedding.weight',
      'weight_ih_l0',
      'weight_hh_l0',
      'bias_ih_l0',
      'bias_hh_l0',
      'fc.weight',
      'fc.bias',
    ]);
    expect(() => torchStateDict(bytes, { key: 'optimizer' })).toThrow(
      /key "optimizer": expected a state_dict/,
    );
    expect(() => torchStateDict(bytes, { key: 'nope' })).toThrow(/no top-level key "nope"/);
    expect(() => torchStateDict(bytes, { key: '' })).toThrow(ValueError);
    const safetensors = serializeSafetensors({ w: new Tensor(Float32Array.of(1), [1]) });
    expect(() => importPytorchStateDict(safetensors, { key: 'model' })).toThrow(ValueError);
  });
});

describe('malicious pickles are refused without running anything', () => {
  for (const [name, callable] of Object.entries(expected.malicious)) {
    it(`${name} (${callable})`, () => {
      expect(existsSync(expected.pwned)).toBe(false);
      const bytes = fixture(name);
      const message = `refusing to call ${callable} while reading "${name}": only state_dict tensors can be read; save with safetensors instead`;
      expect(() => readTorchFile(bytes, { source: name })).toThrow(UnsafePickleError);
      expect(() => readTorchFile(bytes, { source: name })).toThrow(message);
      expect(() => importPytorchStateDict(bytes, { source: name })).toThrow(message);
      expect(existsSync(expected.pwned)).toBe(false);
    });
  }

  const refused = (pkl: Uint8Array) => () => readTorchFile(torchArchive(pkl));
  it('every other way to run code: STACK_GLOBAL, NEWOBJ, BUILD, calling a storage type', () => {
    const stackGlobal = pickle(
      op.proto,
      op.str('os'),
      op.str('system'),
      [0x93],
      op.str('id'),
      [0x85],
      op.reduce,
      op.stop,
    );
    expect(refused(stackGlobal)).toThrow(/refusing to call os.system/);
    const newobj = pickle(
      op.proto,
      op.global('collections', 'OrderedDict'),
      op.emptyTuple,
      op.newobj,
      op.stop,
    );
    expect(refused(newobj)).toThrow(/refusing to instantiate a class \(pickle opcode NEWOBJ at byte 28\)/);
    const buildTensor = pickle(op.proto, tensorOps('0', 1, [1], [1]), op.emptyDict, op.build, op.stop);
    expect(() => readTorchFile(torchArchive(buildTensor, { 0: [1] }))).toThrow(
      /refusing to set the state of a tensor \(pickle BUILD\)/,
    );
    const callStorage = pickle(
      op.proto,
      op.global('torch', 'FloatStorage'),
      op.emptyTuple,
      op.reduce,
      op.stop,
    );
    expect(refused(callStorage)).toThrow(/refusing to call torch.FloatStorage/);
    const codecs = pickle(
      op.proto,
      op.global('_codecs', 'encode'),
      op.str('x'),
      op.str('rot13'),
      op.tuple2,
      op.reduce,
      op.stop,
    );
    expect(refused(codecs)).toThrow(UnsafePickleError);
    for (const bad of [stackGlobal, newobj, callStorage]) expect(refused(bad)).toThrow(UnsafePickleError);
  });

  it('a whole module saved with torch.save(model) is refused, naming its class', () => {
    const module = pickle(
      op.proto,
      op.global('torch.nn.modules.linear', 'Linear'),
      op.emptyTuple,
      op.newobj,
      op.stop,
    );
    expect(refused(module)).toThrow(/refusing to call torch.nn.modules.linear.Linear/);
  });
});

describe('malformed files are typed errors', () => {
  const good = () =>
    torchArchive(dictPickle([['w', tensorOps('0', 6, [2, 3], [3, 1])]]), { 0: [1, 2, 3, 4, 5, 6] });

  it('the hand-made archive reads (the cases below each break one thing)', () => {
    const sd = torchStateDict(good());
    expect(sd.w!.shape).toEqual([2, 3]);
    expect(Array.from(sd.w!.f32)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  const cases: Array<[string, () => Uint8Array, RegExp]> = [
    [
      'a view past its storage',
      () =>
        torchArchive(dictPickle([['w', tensorOps('0', 6, [2, 3], [3, 1], 1)]]), { 0: [1, 2, 3, 4, 5, 6] }),
      /reaches element 6 of storage "0", which holds 6/,
    ],
    [
      'a storage of the wrong size',
      () => torchArchive(dictPickle([['w', tensorOps('0', 6, [2, 3], [3, 1])]]), { 0: [1, 2, 3] }),
      /should hold 6 F32 elements \(24 bytes\), found 12 bytes/,
    ],
    [
      'a missing storage',
      () => torchArchive(dictPickle([['w', tensorOps('7', 1, [1], [1])]])),
      /no entry archive\/data\/7/,
    ],
    [
      'size and stride of different lengths',
      () => torchArchive(dictPickle([['w', tensorOps('0', 1, [1], [1, 1])]]), { 0: [1] }),
      /differ in length/,
    ],
    ['a truncated file', () => good().subarray(0, 100), /end-of-central-directory/],
    [
      'a file cut short by a few bytes',
      () => good().subarray(0, good().length - 3),
      /end-of-central-directory/,
    ],
    [
      'an entry claiming 2 GiB in a small file (a zip bomb without compression)',
      () => {
        const b = good();
        const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
        let at = 0;
        while (view.getUint32(at, true) !== 0x02014b50) at++;
        view.setUint32(at + 20, 0x7fffffff, true);
        view.setUint32(at + 24, 0x7fffffff, true);
        return b;
      },
      /entry "archive\/data.pkl" \(2147483647 bytes at byte \d+\) runs into the central directory/,
    ],
    [
      'an entry name climbing out of the archive',
      () => storedZip([['../archive/data.pkl', pickle(op.proto, op.none, op.stop)]]),
      /entry name "..\/archive\/data.pkl" is not a relative path inside the archive/,
    ],
    [
      'an absolute entry name',
      () => storedZip([['/tmp/data.pkl', pickle(op.proto, op.none, op.stop)]]),
      /entry name "\/tmp\/data.pkl" is not a relative path/,
    ],
    [
      'a storage key that is a path',
      () => torchArchive(dictPickle([['w', tensorOps('../../etc/passwd', 1, [1], [1])]]), { 0: [1] }),
      /storage key "..\/..\/etc\/passwd" is not a plain name/,
    ],
    [
      'a damaged entry',
      () => {
        const b = good();
        b[60] ^= 1;
        return b;
      },
      /CRC-32/,
    ],
    [
      'a compressed entry',
      () => storedZip([['archive/data.pkl', pickle(op.proto, op.none, op.stop)]], 8),
      /compressed \(method 8\).*re-save/,
    ],
    [
      'two pickles',
      () =>
        storedZip([
          ['a/data.pkl', pickle(op.proto, op.none, op.stop)],
          ['b/data.pkl', pickle(op.proto, op.none, op.stop)],
        ]),
      /expected one <archive>\/data.pkl entry, found 2/,
    ],
    [
      'a TorchScript archive',
      () => storedZip([['m/constants.pkl', pickle(op.proto, op.none, op.stop)]]),
      /TorchScript archive/,
    ],
    [
      'a duplicate entry',
      () =>
        storedZip([
          ['a/data.pkl', pickle(op.proto, op.none, op.stop)],
          ['a/data.pkl', pickle(op.proto, op.none, op.stop)],
        ]),
      /two entries named "a\/data.pkl"/,
    ],
    [
      'memo read before written',
      () => torchArchive(pickle(op.proto, op.get(3), op.stop)),
      /memo entry 3 is read before it is written/,
    ],
    ['no STOP', () => torchArchive(pickle(op.proto, op.none)), /without a STOP opcode/],
    [
      'a pickle ending inside a string',
      () => torchArchive(pickle(op.proto, [0x58, 0xff, 0xff, 0, 0, 0x41])),
      /ends inside BINUNICODE/,
    ],
    [
      'an unknown opcode',
      () => torchArchive(pickle(op.proto, [0xff], op.stop)),
      /unknown pickle opcode 0xff at byte 2/,
    ],
    [
      'a set',
      () => torchArchive(pickle(op.proto, [0x8f], op.stop)),
      /EMPTY_SET at byte 2 builds a value no state_dict holds/,
    ],
    [
      'SETITEMS on a list',
      () => torchArchive(pickle(op.proto, op.emptyList, op.mark, op.none, op.none, op.setitems, op.stop)),
      /sets items on a list, not a dict/,
    ],
    [
      'APPEND to a tuple',
      () => torchArchive(pickle(op.proto, op.emptyTuple, op.none, op.append, op.stop)),
      /appends to a tuple, not a list/,
    ],
    [
      'an empty stack',
      () => torchArchive(pickle(op.proto, op.reduce, op.stop)),
      /REDUCE at byte 2 finds the stack empty/,
    ],
    [
      'a huge integer',
      () => torchArchive(pickle(op.proto, [0x8b, 0, 0, 1, 0], op.stop)),
      /integer of 65536 bytes exceeds the limit of 256/,
    ],
    [
      'a bad persistent id',
      () => torchArchive(pickle(op.proto, op.str('x'), op.persid, op.stop)),
      /persistent id must be \('storage'/,
    ],
    [
      'a complex storage',
      () => torchArchive(pickle(op.proto, op.global('torch', 'ComplexFloatStorage'), op.stop)),
      /torch.ComplexFloatStorage tensors are not supported/,
    ],
    [
      'neither zip nor pickle',
      () => new TextEncoder().encode('hello world, not a torch file'),
      /neither a zip archive nor a pickle/,
    ],
    [
      'a legacy file without its magic',
      () => pickle(op.proto, op.none, op.stop),
      /legacy magic number is missing/,
    ],
  ];
  for (const [name, make, message] of cases) {
    it(name, () => {
      const bytes = make();
      expect(() => readTorchFile(bytes)).toThrow(TorchFileError);
      expect(() => readTorchFile(bytes)).toThrow(message);
    });
  }

  it('limits: the stack, marks and tensor bytes are capped before allocating', () => {
    const marks = torchArchive(pickle(op.proto, ...Array.from({ length: 50 }, () => op.mark), op.stop));
    expect(() => readTorchFile(marks, { limits: { maxStack: 10 } })).toThrow(/more than 10 MARKs/);
    const wide = pickle(
      op.proto,
      op.emptyList,
      op.mark,
      ...Array.from({ length: 50 }, () => op.none),
      [0x65],
      op.stop,
    );
    expect(() => readTorchFile(torchArchive(wide), { limits: { maxStack: 20 } })).toThrow(
      /stack exceeds 20 values/,
    );
    // A 1-element storage broadcast to 2^24 elements: 64 MiB out of a few hundred bytes.
    const bomb = torchArchive(dictPickle([['w', tensorOps('0', 1, [4096, 4096], [0, 0])]]), { 0: [1] });
    expect(() => readTorchFile(bomb)).toThrow(/more than \d+ bytes \(limits.maxTensorBytes\)/);
    expect(() => readTorchFile(torchArchive(dictPickle([]), {}), { limits: { maxPickleBytes: 4 } })).toThrow(
      /over the limit of 4/,
    );
  });

  it('a list that contains itself is data, not a hang', () => {
    const cyclic = pickle(op.proto, op.emptyList, op.put(0), op.get(0), op.append, op.stop);
    const v = readTorchFile(torchArchive(cyclic)) as TorchValue[];
    expect(v[0]).toBe(v);
    expect(() => torchStateDict(torchArchive(cyclic))).toThrow(
      /expected a state_dict \(a dict of tensors\), found a list/,
    );
  });

  it('bad arguments are ValueErrors; safetensors files still read as before', () => {
    expect(() => readTorchFile('x.pt' as unknown as Uint8Array)).toThrow(ValueError);
    expect(() => importPytorchStateDict(new Uint8Array([0x80, 2, 0, 0, 0, 0, 0, 0]))).toThrow(
      SafetensorsError,
    );
  });
});
