import { describe, expect, it } from 'vitest';
import type { BinaryOp } from '../../src/backend/js/binary.js';
import type { UnaryOp } from '../../src/backend/js/unary.js';
import { nativeBackend } from '../../src/backend/native/index.js';
import { type KernelName, type Kernels, kernelFor } from '../../src/backend/registry.js';
import { expectClose, randomArray, seeded } from './compare.js';

const { addon } = nativeBackend();

function both<K extends KernelName>(name: K): [Kernels[K], Kernels[K]] {
  return [kernelFor(name, 'js')!, kernelFor(name, 'native')!];
}

const numel = (s: number[]) => s.reduce((p, d) => p * d, 1);

describe.skipIf(!addon)('native elementwise kernels vs the JS reference', () => {
  const BROADCASTS: [number[], number[], number[]][] = [
    [
      [3, 17],
      [3, 17],
      [3, 17],
    ],
    [[4, 5], [5], [4, 5]],
    [
      [4, 5],
      [1, 5],
      [4, 5],
    ],
    [
      [2, 3, 4],
      [3, 1],
      [2, 3, 4],
    ],
    [
      [3, 1],
      [1, 4],
      [3, 4],
    ],
    [[1], [2, 2], [2, 2]],
    [[], [3], [3]],
  ];

  it('binary matches with broadcasting for every op', () => {
    const [js, native] = both('binary');
    const gen = seeded(3);
    for (const op of ['add', 'sub', 'mul', 'div'] as BinaryOp[]) {
      for (const [as, bs, os] of BROADCASTS) {
        const a = randomArray(gen, numel(as));
        const b = randomArray(gen, numel(bs));
        const want = new Float32Array(numel(os));
        const got = new Float32Array(numel(os));
        js(op, a, as, b, bs, want, os);
        native(op, a, as, b, bs, got, os);
        expectClose(got, want, 0, 0);
      }
    }
  });

  it('sumToShape reduces over broadcast dimensions into the existing values', () => {
    const [js, native] = both('sumToShape');
    const gen = seeded(4);
    for (const [as, bs, os] of BROADCASTS) {
      for (const dst of [as, bs]) {
        const src = randomArray(gen, numel(os));
        const want = randomArray(gen, numel(dst));
        const got = want.slice();
        js(src, os, want, dst);
        native(src, os, got, dst);
        expectClose(got, want, 1e-6, 1e-6);
      }
    }
  });

  it('unary and unaryBackward match for every op', () => {
    const [js, native] = both('unary');
    const [jsB, nativeB] = both('unaryBackward');
    const gen = seeded(5);
    const x = randomArray(gen, 257).map((v) => v * 4);
    x[0] = 0;
    const pos = x.map(Math.abs);
    for (const op of ['neg', 'exp', 'log', 'tanh', 'sigmoid', 'relu', 'sqrt', 'abs'] as UnaryOp[]) {
      const input = op === 'log' || op === 'sqrt' ? pos.map((v) => v + 0.1) : x;
      const want = new Float32Array(257);
      const got = new Float32Array(257);
      js(op, input, want);
      native(op, input, got);
      expectClose(got, want, 1e-7, 1e-6);
      const g = randomArray(gen, 257);
      const gxWant = randomArray(gen, 257);
      const gxGot = gxWant.slice();
      jsB(op, input, want, g, gxWant);
      nativeB(op, input, want, g, gxGot);
      expectClose(gxGot, gxWant, 1e-6, 1e-6);
    }
  });

  it('permute reorders axes of float and int arrays, assigning or accumulating', () => {
    const [js, native] = both('permute');
    const gen = seeded(8);
    const cases: [number[], number[]][] = [
      [
        [3, 17, 5],
        [1, 0, 2],
      ],
      [
        [4, 5, 6],
        [2, 0, 1],
      ],
      [
        [2, 3, 4, 5],
        [3, 1, 0, 2],
      ],
      [[7], [0]],
      [[], []],
    ];
    for (const [shape, perm] of cases) {
      const n = numel(shape);
      const x = randomArray(gen, n);
      for (const accumulate of [false, true]) {
        const want = randomArray(gen, n);
        const got = want.slice();
        js(x, shape, perm, want, accumulate);
        native(x, shape, perm, got, accumulate);
        expectClose(got, want, 0, 0);
      }
      const xi = Int32Array.from(x, (v) => Math.round(v * 100));
      const wantI = new Int32Array(n);
      const gotI = new Int32Array(n);
      js(xi, shape, perm, wantI, false);
      native(xi, shape, perm, gotI, false);
      expect(Array.from(gotI)).toEqual(Array.from(wantI));
    }
    expect(() => native(new Float32Array(6), [2, 3], [0, 0], new Float32Array(6), false)).toThrow(
      /permutation/,
    );
    expect(() => native(new Float32Array(6), [2, 3], [1, 0], new Int32Array(6), false)).toThrow(
      /same element type/,
    );
  });

  it('throws on short buffers, unknown ops and shapes that do not broadcast', () => {
    const [, native] = both('binary');
    const a = new Float32Array(4);
    expect(() => native('add', a, [2, 2], a, [2, 2], new Float32Array(3), [2, 2])).toThrow(
      /binary: out needs at least 4 elements, got 3/,
    );
    expect(() => native('pow' as BinaryOp, a, [4], a, [4], a, [4])).toThrow(/op must be one of/);
    expect(() => native('add', a, [4], a, [2, 2], a, [2, 2])).toThrow(/does not broadcast/);
    const [, unary] = both('unary');
    expect(() => unary('exp', a, new Float32Array(2))).toThrow(/unary: out needs at least 4/);
  });
});

describe.skipIf(!addon)('native embedding and Adam vs the JS reference', () => {
  it('embedding gathers rows and scatter-adds gradients, skipping the padding index', () => {
    const [fwdJs, fwdNative] = both('embeddingForward');
    const [bwdJs, bwdNative] = both('embeddingBackward');
    const gen = seeded(6);
    const V = 11;
    const E = 7;
    const weight = randomArray(gen, V * E);
    const idx = Int32Array.from([3, 0, 10, 3, 3, 5, 0]);
    const want = new Float32Array(idx.length * E);
    const got = new Float32Array(idx.length * E);
    fwdJs(weight, E, idx, want);
    fwdNative(weight, E, idx, got);
    expectClose(got, want, 0, 0);
    const gOut = randomArray(gen, idx.length * E);
    const gwWant = randomArray(gen, V * E);
    const gwGot = gwWant.slice();
    bwdJs(gOut, E, idx, 0, gwWant);
    bwdNative(gOut, E, idx, 0, gwGot);
    expectClose(gwGot, gwWant, 1e-6, 1e-6);
    expect(() => fwdNative(weight, E, Int32Array.from([11]), new Float32Array(E))).toThrow(
      /indices\[0\] must be in \[0, 11\), got 11/,
    );
    expect(() => bwdNative(gOut, E, Int32Array.from([-1]), 0, gwGot)).toThrow(/indices\[0\]/);
  });

  it('adamStep matches for Adam, AdamW, AMSGrad and maximize', () => {
    const [js, native] = both('adamStep');
    const gen = seeded(7);
    const n = 101;
    for (const [decoupled, amsgrad, maximize] of [
      [false, false, false],
      [true, false, false],
      [false, true, true],
    ]) {
      const state = [randomArray(gen, n), randomArray(gen, n), randomArray(gen, n).map(Math.abs)];
      const a = state.map((s) => s.slice());
      const b = state.map((s) => s.slice());
      const vmaxA = amsgrad ? new Float32Array(n) : null;
      const vmaxB = amsgrad ? new Float32Array(n) : null;
      for (let step = 1; step <= 3; step++) {
        const grad = randomArray(gen, n);
        js(a[0]!, grad, a[1]!, a[2]!, vmaxA, 1e-2, 0.9, 0.999, 1e-8, 0.1, decoupled!, maximize!, step);
        native(b[0]!, grad, b[1]!, b[2]!, vmaxB, 1e-2, 0.9, 0.999, 1e-8, 0.1, decoupled!, maximize!, step);
      }
      for (let i = 0; i < 3; i++) expectClose(b[i]!, a[i]!, 1e-7, 1e-6);
    }
  });
});

interface LstmCase {
  T: number;
  B: number;
  E: number;
  H: number;
  lengths: number[] | null;
  reverse: boolean;
  bias: boolean;
}

function lstmCase(c: LstmCase, seed: number, which: 'js' | 'native') {
  const fwd = kernelFor('lstmForward', which)!;
  const bwd = kernelFor('lstmBackward', which)!;
  const gen = seeded(seed);
  const { T, B, E, H } = c;
  const G = 4 * H;
  const x = randomArray(gen, T * B * E);
  const wIh = randomArray(gen, G * E);
  const wHh = randomArray(gen, G * H);
  const bIh = c.bias ? randomArray(gen, G) : null;
  const bHh = c.bias ? randomArray(gen, G) : null;
  const h0 = randomArray(gen, B * H);
  const c0 = randomArray(gen, B * H);
  const lengths = c.lengths ? Int32Array.from(c.lengths) : null;
  const out = new Float32Array(T * B * H);
  const hN = new Float32Array(B * H);
  const cN = new Float32Array(B * H);
  const gates = new Float32Array(T * B * G);
  const cells = new Float32Array(T * B * H);
  fwd(
    T,
    B,
    E,
    H,
    0,
    x,
    wIh,
    wHh,
    null,
    bIh,
    bHh,
    h0,
    c0,
    lengths,
    c.reverse,
    out,
    hN,
    cN,
    gates,
    cells,
    null,
  );
  const dOut = randomArray(gen, T * B * H);
  const dhN = randomArray(gen, B * H);
  const dcN = randomArray(gen, B * H);
  const grads = {
    dx: randomArray(gen, T * B * E),
    dh0: new Float32Array(B * H),
    dc0: new Float32Array(B * H),
    dWih: randomArray(gen, G * E),
    dWhh: new Float32Array(G * H),
    dbIh: new Float32Array(G),
    dbHh: new Float32Array(G),
  };
  bwd(
    T,
    B,
    E,
    H,
    0,
    x,
    wIh,
    wHh,
    null,
    h0,
    c0,
    lengths,
    c.reverse,
    out,
    gates,
    cells,
    null,
    dOut,
    dhN,
    dcN,
    grads.dx,
    grads.dh0,
    grads.dc0,
    grads.dWih,
    grads.dWhh,
    null,
    grads.dbIh,
    grads.dbHh,
  );
  return { out, hN, cN, gates, cells, ...grads };
}

describe.skipIf(!addon)('native LSTM vs the JS reference', () => {
  const CASES: LstmCase[] = [
    { T: 7, B: 5, E: 9, H: 17, lengths: null, reverse: false, bias: true },
    { T: 7, B: 9, E: 3, H: 8, lengths: [7, 0, 3, 1, 7, 5, 2, 6, 4], reverse: false, bias: true },
    { T: 6, B: 9, E: 5, H: 16, lengths: [6, 2, 0, 5, 1, 6, 3, 3, 4], reverse: true, bias: false },
    { T: 3, B: 1, E: 1, H: 1, lengths: null, reverse: true, bias: true },
    // One step of a small batch takes the fused single-pass path.
    { T: 1, B: 1, E: 130, H: 17, lengths: null, reverse: false, bias: true },
    { T: 1, B: 3, E: 33, H: 16, lengths: [1, 0, 1], reverse: false, bias: true },
    { T: 1, B: 4, E: 5, H: 3, lengths: null, reverse: true, bias: false },
  ];
  CASES.forEach((c, i) => {
    it(`forward and backward match (T ${c.T}, B ${c.B}, E ${c.E}, H ${c.H}, lengths ${c.lengths !== null}, reverse ${c.reverse})`, () => {
      const want = lstmCase(c, 20 + i, 'js');
      const got = lstmCase(c, 20 + i, 'native');
      for (const key of ['out', 'hN', 'cN'] as const) expectClose(got[key], want[key], 1e-5, 1e-5);
      for (const key of ['dx', 'dh0', 'dc0', 'dWih', 'dWhh', 'dbIh', 'dbHh'] as const)
        expectClose(got[key], want[key], 1e-4, 1e-4);
    });
  });

  it('runs projected layers (P > 0) as the JS kernel does', () => {
    const z = (n: number) => new Float32Array(n);
    const gen = seeded(30);
    const [T, B, E, H, P] = [3, 2, 2, 4, 2];
    const x = randomArray(gen, T * B * E);
    const wIh = randomArray(gen, 4 * H * E);
    const wHh = randomArray(gen, 4 * H * P);
    const wHr = randomArray(gen, P * H);
    const run = (which: 'js' | 'native') => {
      const out = z(T * B * P);
      kernelFor('lstmForward', which)!(
        T,
        B,
        E,
        H,
        P,
        x,
        wIh,
        wHh,
        wHr,
        null,
        null,
        z(B * P),
        z(B * H),
        null,
        false,
        out,
        z(B * P),
        z(B * H),
        z(T * B * 4 * H),
        z(T * B * H),
        z(T * B * H),
      );
      return out;
    };
    expectClose(run('native'), run('js'), 1e-5, 1e-5);
  });

  it('rejects lengths outside [0, T] and short buffers', () => {
    const fwd = kernelFor('lstmForward', 'native')!;
    const z = (n: number) => new Float32Array(n);
    const run = (lengths: Int32Array | null, gates: Float32Array) =>
      fwd(
        2,
        1,
        1,
        1,
        0,
        z(2),
        z(4),
        z(4),
        null,
        null,
        null,
        z(1),
        z(1),
        lengths,
        false,
        z(2),
        z(1),
        z(1),
        gates,
        z(2),
        null,
      );
    expect(() => run(Int32Array.from([3]), z(8))).toThrow(/lengths\[0\] must be in \[0, 2\], got 3/);
    expect(() => run(null, z(7))).toThrow(/lstmForward: gates needs at least 8 elements, got 7/);
  });
});

interface SeqCase {
  T: number;
  B: number;
  E: number;
  H: number;
  lengths: number[] | null;
  reverse: boolean;
  bias: boolean;
}

const SEQ_CASES: SeqCase[] = [
  { T: 7, B: 5, E: 9, H: 17, lengths: null, reverse: false, bias: true },
  { T: 7, B: 9, E: 3, H: 8, lengths: [7, 0, 3, 1, 7, 5, 2, 6, 4], reverse: false, bias: true },
  { T: 6, B: 9, E: 5, H: 16, lengths: [6, 2, 0, 5, 1, 6, 3, 3, 4], reverse: true, bias: false },
  { T: 3, B: 1, E: 1, H: 1, lengths: null, reverse: true, bias: true },
  // One step of a small batch takes the fused single-pass path.
  { T: 1, B: 1, E: 130, H: 17, lengths: null, reverse: false, bias: true },
  { T: 1, B: 3, E: 33, H: 16, lengths: [1, 0, 1], reverse: false, bias: true },
  { T: 1, B: 4, E: 5, H: 3, lengths: [1, 1, 0, 1], reverse: true, bias: false },
];

const caseName = (c: SeqCase) =>
  `T ${c.T}, B ${c.B}, E ${c.E}, H ${c.H}, lengths ${c.lengths !== null}, reverse ${c.reverse}`;

function gruCase(c: SeqCase, seed: number, which: 'js' | 'native') {
  const fwd = kernelFor('gruForward', which)!;
  const bwd = kernelFor('gruBackward', which)!;
  const gen = seeded(seed);
  const { T, B, E, H } = c;
  const G = 3 * H;
  const x = randomArray(gen, T * B * E);
  const wIh = randomArray(gen, G * E);
  const wHh = randomArray(gen, G * H);
  const bIh = c.bias ? randomArray(gen, G) : null;
  const bHh = c.bias ? randomArray(gen, G) : null;
  const h0 = randomArray(gen, B * H);
  const lengths = c.lengths ? Int32Array.from(c.lengths) : null;
  const out = new Float32Array(T * B * H);
  const hN = new Float32Array(B * H);
  const gates = new Float32Array(T * B * 4 * H);
  fwd(T, B, E, H, x, wIh, wHh, bIh, bHh, h0, lengths, c.reverse, out, hN, gates);
  const grads = {
    dx: randomArray(gen, T * B * E),
    dh0: new Float32Array(B * H),
    dWih: randomArray(gen, G * E),
    dWhh: new Float32Array(G * H),
    dbIh: new Float32Array(G),
    dbHh: new Float32Array(G),
  };
  const dOut = randomArray(gen, T * B * H);
  const dhN = randomArray(gen, B * H);
  bwd(
    T,
    B,
    E,
    H,
    x,
    wIh,
    wHh,
    h0,
    lengths,
    c.reverse,
    out,
    gates,
    dOut,
    dhN,
    grads.dx,
    grads.dh0,
    grads.dWih,
    grads.dWhh,
    grads.dbIh,
    grads.dbHh,
  );
  return { out, hN, gates, ...grads };
}

function rnnCase(c: SeqCase, relu: boolean, seed: number, which: 'js' | 'native') {
  const fwd = kernelFor('rnnForward', which)!;
  const bwd = kernelFor('rnnBackward', which)!;
  const gen = seeded(seed);
  const { T, B, E, H } = c;
  const x = randomArray(gen, T * B * E);
  const wIh = randomArray(gen, H * E);
  const wHh = randomArray(gen, H * H);
  const bIh = c.bias ? randomArray(gen, H) : null;
  const bHh = c.bias ? randomArray(gen, H) : null;
  const h0 = randomArray(gen, B * H);
  const lengths = c.lengths ? Int32Array.from(c.lengths) : null;
  const out = new Float32Array(T * B * H);
  const hN = new Float32Array(B * H);
  fwd(T, B, E, H, relu, x, wIh, wHh, bIh, bHh, h0, lengths, c.reverse, out, hN);
  const grads = {
    dx: randomArray(gen, T * B * E),
    dh0: new Float32Array(B * H),
    dWih: randomArray(gen, H * E),
    dWhh: new Float32Array(H * H),
    dbIh: new Float32Array(H),
    dbHh: new Float32Array(H),
  };
  const dOut = randomArray(gen, T * B * H);
  const dhN = randomArray(gen, B * H);
  bwd(
    T,
    B,
    E,
    H,
    relu,
    x,
    wIh,
    wHh,
    h0,
    lengths,
    c.reverse,
    out,
    dOut,
    dhN,
    grads.dx,
    grads.dh0,
    grads.dWih,
    grads.dWhh,
    grads.dbIh,
    grads.dbHh,
  );
  return { out, hN, ...grads };
}

describe.skipIf(!addon)('native GRU and RNN vs the JS reference', () => {
  SEQ_CASES.forEach((c, i) => {
    it(`GRU forward and backward match (${caseName(c)})`, () => {
      const want = gruCase(c, 40 + i, 'js');
      const got = gruCase(c, 40 + i, 'native');
      for (const key of ['out', 'hN'] as const) expectClose(got[key], want[key], 1e-5, 1e-5);
      for (const key of ['dx', 'dh0', 'dWih', 'dWhh', 'dbIh', 'dbHh'] as const)
        expectClose(got[key], want[key], 1e-4, 1e-4);
    });
    for (const relu of [false, true]) {
      it(`RNN (${relu ? 'relu' : 'tanh'}) forward and backward match (${caseName(c)})`, () => {
        const want = rnnCase(c, relu, 60 + i, 'js');
        const got = rnnCase(c, relu, 60 + i, 'native');
        for (const key of ['out', 'hN'] as const) expectClose(got[key], want[key], 1e-5, 1e-5);
        for (const key of ['dx', 'dh0', 'dWih', 'dWhh', 'dbIh', 'dbHh'] as const)
          expectClose(got[key], want[key], 1e-4, 1e-4);
      });
    }
  });
});
