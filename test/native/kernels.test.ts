import { describe, expect, it } from 'vitest';
import type { BinaryOp } from '../../src/backend/js/binary.js';
import type { UnaryOp } from '../../src/backend/js/unary.js';
import { nativeBackend } from '../../src/backend/native/index.js';
import { type KernelName, type Kernels, kernelFor } from '../../src/backend/registry.js';
import { type KernelCase, recurrentKernels, runRecurrent } from '../backend/kernel-fixtures.js';
import { isasOf, withIsa } from '../helpers/backends.js';
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
      // Large enough that the rows split between the pool's threads.
      [
        [40, 50, 40],
        [1, 0, 2],
      ],
      [
        [40, 50, 40],
        [2, 0, 1],
      ],
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

  it('copyRows copies strided blocks of float and int arrays as the JS kernel does, assigning or accumulating', () => {
    const [js, native] = both('copyRows');
    const gen = seeded(9);
    // [sOff, sStride, dOff, dStride, rows, cols]: a concat's half, a slice, contiguous, one row, none
    const cases = [
      [0, 64, 64, 128, 300, 64],
      [5, 40, 0, 17, 30, 17],
      [0, 12, 0, 12, 50, 12],
      [3, 9, 7, 9, 1, 9],
      [0, 8, 0, 8, 0, 8],
    ];
    for (const [sOff, sStride, dOff, dStride, rows, cols] of cases as number[][]) {
      const src = randomArray(gen, sOff! + rows! * sStride! + 3);
      for (const accumulate of [false, true]) {
        const want = randomArray(gen, dOff! + rows! * dStride! + 5);
        const got = want.slice();
        js(src, sOff!, sStride!, want, dOff!, dStride!, rows!, cols!, accumulate);
        native(src, sOff!, sStride!, got, dOff!, dStride!, rows!, cols!, accumulate);
        expectClose(got, want, 0, 0);
      }
      const srcI = Int32Array.from(src, (v) => Math.round(v * 100));
      const wantI = new Int32Array(dOff! + rows! * dStride!).fill(-7);
      const gotI = wantI.slice();
      js(srcI, sOff!, sStride!, wantI, dOff!, dStride!, rows!, cols!, false);
      native(srcI, sOff!, sStride!, gotI, dOff!, dStride!, rows!, cols!, false);
      expect(Array.from(gotI)).toEqual(Array.from(wantI));
    }
    expect(() => native(new Float32Array(10), 0, 5, new Float32Array(9), 0, 5, 2, 5, false)).toThrow(
      /copyRows: dst needs 10 elements/,
    );
    expect(() => native(new Float32Array(10), 0, 4, new Float32Array(10), 0, 5, 2, 5, false)).toThrow(
      /src leading dimension must be at least 5/,
    );
    expect(() => native(new Float32Array(10), 0, 5, new Int32Array(10), 0, 5, 2, 5, false)).toThrow(
      /same element type/,
    );
  });

  it('binary broadcasts operands of one shape into a larger output, reading nothing past them', () => {
    const [js, native] = both('binary');
    for (const [shape, outShape] of [
      [[1], [3]],
      [
        [2, 1],
        [4, 2, 3],
      ],
      [
        [1, 3],
        [1, 3],
      ],
    ] as number[][][]) {
      const n = numel(outShape!);
      const a = Float32Array.from({ length: numel(shape!) }, (_, i) => i + 0.5);
      const b = Float32Array.from({ length: numel(shape!) }, (_, i) => 10 * i - 1);
      const want = new Float32Array(n);
      const got = new Float32Array(n);
      js('mul', a, shape!, b, shape!, want, outShape!);
      native('mul', a, shape!, b, shape!, got, outShape!);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
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

  it('embedding matches on a batch large enough to be split over threads, repeats and padding included', () => {
    const [fwdJs, fwdNative] = both('embeddingForward');
    const [bwdJs, bwdNative] = both('embeddingBackward');
    const gen = seeded(9);
    const V = 50;
    const E = 129;
    const n = 1000;
    const weight = randomArray(gen, V * E);
    const idx = Int32Array.from({ length: n }, (_, i) => (i * 7 + (i >> 3)) % V);
    const want = new Float32Array(n * E);
    const got = new Float32Array(n * E);
    fwdJs(weight, E, idx, want);
    fwdNative(weight, E, idx, got);
    expectClose(got, want, 0, 0);
    const gOut = randomArray(gen, n * E);
    const gwWant = randomArray(gen, V * E);
    const gwGot = gwWant.slice();
    bwdJs(gOut, E, idx, 4, gwWant);
    bwdNative(gOut, E, idx, 4, gwGot);
    // Each element sums its rows in the same order on both backends.
    expectClose(gwGot, gwWant, 0, 0);
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

  it('adamStep matches on a tensor large enough to be split over threads, AMSGrad too', () => {
    const [js, native] = both('adamStep');
    const gen = seeded(8);
    // Several chunks of the native kernel's split, and a length no chunk size divides.
    const n = 3 * 32768 + 77;
    for (const amsgrad of [false, true]) {
      const state = [randomArray(gen, n), randomArray(gen, n), randomArray(gen, n).map(Math.abs)];
      const a = state.map((s) => s.slice());
      const b = state.map((s) => s.slice());
      const vmaxA = amsgrad ? new Float32Array(n) : null;
      const vmaxB = amsgrad ? new Float32Array(n) : null;
      for (let step = 1; step <= 2; step++) {
        const grad = randomArray(gen, n);
        js(a[0]!, grad, a[1]!, a[2]!, vmaxA, 1e-3, 0.9, 0.999, 1e-8, 0, false, false, step);
        native(b[0]!, grad, b[1]!, b[2]!, vmaxB, 1e-3, 0.9, 0.999, 1e-8, 0, false, false, step);
      }
      for (let i = 0; i < 3; i++) expectClose(b[i]!, a[i]!, 1e-7, 1e-6);
      if (amsgrad) expectClose(vmaxB!, vmaxA!, 1e-7, 1e-6);
    }
  });
});

type Kind = KernelCase['kind'];

interface SeqCase {
  T: number;
  B: number;
  E: number;
  H: number;
  P?: number;
  lengths: number[] | null;
  reverse: boolean;
  bias: boolean;
  /** x's rows drawn from this many distinct rows, as an embedding's are (the kernels share their products). */
  tokens?: number;
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
  // Weights large enough that the step's products split in two row ranges (GRU: inside its r, z rows).
  { T: 1, B: 2, E: 130, H: 70, lengths: null, reverse: false, bias: true },
  // Rows that repeat (tokens' embeddings): each distinct row's input product computed once.
  { T: 8, B: 9, E: 20, H: 16, lengths: null, reverse: false, bias: true, tokens: 5 },
  { T: 10, B: 8, E: 17, H: 8, lengths: [10, 3, 0, 7, 10, 1, 9, 4], reverse: true, bias: false, tokens: 11 },
  // Enough rows that their hashes split between the pool's threads.
  { T: 4, B: 128, E: 148, H: 8, lengths: null, reverse: false, bias: true, tokens: 40 },
];

// Projected LSTMs: per-step products of the projection on the packed path (B > 4) and the
// streaming path (T = 1).
const PROJ_CASES: SeqCase[] = [
  { T: 5, B: 7, E: 3, H: 9, P: 4, lengths: [5, 3, 0, 1, 5, 2, 4], reverse: false, bias: true },
  { T: 4, B: 6, E: 4, H: 6, P: 2, lengths: null, reverse: true, bias: false },
  { T: 1, B: 2, E: 5, H: 7, P: 3, lengths: null, reverse: false, bias: true },
  { T: 9, B: 8, E: 16, H: 9, P: 4, lengths: null, reverse: false, bias: true, tokens: 3 },
];

const GATES: Record<Exclude<Kind, 'gemm'>, number> = {
  lstm: 4,
  lstm_proj: 4,
  gru: 3,
  rnn_tanh: 1,
  rnn_relu: 1,
};

/** Random inputs for a case as a KernelCase, so the fixture runner drives both backends. */
function randomCase(kind: Exclude<Kind, 'gemm'>, c: SeqCase, seed: number): KernelCase {
  const gen = seeded(seed);
  const { T, B, E, H, P = 0 } = c;
  const G = GATES[kind] * H;
  const R = P || H;
  const arrays: Record<string, Float32Array> = {
    x: randomArray(gen, T * B * E),
    wIh: randomArray(gen, G * E),
    wHh: randomArray(gen, G * R),
    h0: randomArray(gen, B * R),
    c0: randomArray(gen, B * H),
    dOut: randomArray(gen, T * B * R),
    dhN: randomArray(gen, B * R),
    dcN: randomArray(gen, B * H),
  };
  if (P) arrays.wHr = randomArray(gen, P * H);
  let tokens: Int32Array | null = null;
  if (c.tokens) {
    const table = randomArray(gen, c.tokens * E);
    tokens = new Int32Array(T * B);
    for (let r = 0; r < T * B; r++) {
      const token = (r * 7 + (r >> 2)) % c.tokens;
      tokens[r] = token;
      arrays.x!.set(table.subarray(token * E, (token + 1) * E), r * E);
    }
  }
  if (c.bias) Object.assign(arrays, { bIh: randomArray(gen, G), bHh: randomArray(gen, G) });
  const lengths = c.lengths ? Int32Array.from(c.lengths) : null;
  // As rows of an embedding: two rows more than the tokens (no row of x uses them), token 1 the padding.
  const embedded = tokens ? { tokens, V: c.tokens! + 2, paddingIdx: 1 } : undefined;
  return { name: kind, kind, dims: { T, B, E, H, P, reverse: c.reverse ? 1 : 0 }, lengths, arrays, embedded };
}

/** The case's forward and backward on one backend's kernels, gradients starting from `start`. */
function onRun(
  c: KernelCase,
  which: 'js' | 'native',
  start?: (name: string, n: number) => Float32Array,
): Record<string, Float32Array> {
  const k = <K extends Parameters<typeof kernelFor>[0]>(name: K) => kernelFor(name, which)!;
  return runRecurrent(c, recurrentKernels(k), start);
}

function onBackend(c: KernelCase, which: 'js' | 'native', seed: number): Record<string, Float32Array> {
  const k = <K extends Parameters<typeof kernelFor>[0]>(name: K) => kernelFor(name, which)!;
  const kernels = recurrentKernels(k);
  // Gradients start non-zero: the kernels add into them.
  const gen = seeded(seed);
  return runRecurrent(c, kernels, (_, n) => randomArray(gen, n));
}

const caseName = (c: SeqCase) =>
  `T ${c.T}, B ${c.B}, E ${c.E}, H ${c.H}${c.P ? `, P ${c.P}` : ''}, lengths ${c.lengths !== null}, reverse ${c.reverse}${c.tokens ? `, ${c.tokens} distinct rows` : ''}`;

describe.skipIf(!addon)('native recurrent kernels vs the JS reference, on every instruction set', () => {
  const kinds: Array<[Exclude<Kind, 'gemm'>, SeqCase[]]> = [
    ['lstm', SEQ_CASES],
    ['lstm_proj', PROJ_CASES],
    ['gru', SEQ_CASES],
    ['rnn_tanh', SEQ_CASES],
    ['rnn_relu', SEQ_CASES],
  ];
  for (const isa of isasOf('native'))
    for (const [kind, cases] of kinds)
      cases.forEach((c, i) => {
        it(`${kind} forward and backward (${isa}; ${caseName(c)})`, () => {
          const { embedded: _, ...data } = randomCase(kind, c, 20 + i);
          const want = onBackend(data, 'js', 90 + i);
          const got = withIsa(isa, () => onBackend(data, 'native', 90 + i));
          for (const [key, values] of Object.entries(want)) {
            const forward = key === 'out' || key === 'hN' || key === 'cN';
            expectClose(got[key]!, values, forward ? 1e-5 : 1e-4, forward ? 1e-5 : 1e-4);
          }
        });
      });

  // An embedded input: the JS reference forms dx and scatters it; native sums each token's rows first.
  for (const isa of isasOf('native'))
    for (const [kind, cases] of kinds)
      cases.forEach((c, i) => {
        if (!c.tokens) return;
        it(`${kind} backward by token into dEmbedding (${isa}; ${caseName(c)})`, () => {
          const data = randomCase(kind, c, 20 + i);
          const want = onBackend(data, 'js', 90 + i);
          const got = withIsa(isa, () => onBackend(data, 'native', 90 + i));
          expect(Object.keys(got)).toContain('dEmbedding');
          expect(Object.keys(got)).not.toContain('dx');
          for (const [key, values] of Object.entries(want)) expectClose(got[key]!, values, 1e-4, 1e-4);
        });
      });

  it('adds by token what the scatter of dx adds, and nothing into the padding row or unused rows', () => {
    for (const which of ['js', 'native'] as const) {
      const c: SeqCase = {
        T: 10,
        B: 8,
        E: 17,
        H: 8,
        lengths: [10, 3, 0, 7, 10, 1, 9, 4],
        reverse: true,
        bias: false,
        tokens: 11,
      };
      const data = randomCase('lstm', c, 7);
      const { tokens, V, paddingIdx } = data.embedded!;
      const start = (name: string, n: number) =>
        name === 'dEmbedding' ? randomArray(seeded(3), n) : new Float32Array(n);
      const byToken = onRun(data, which, start);
      const { embedded: _, ...plain } = data;
      const viaDx = onRun(plain, which, start);
      const scattered = randomArray(seeded(3), V * c.E);
      kernelFor('embeddingBackward', 'js')!(viaDx.dx!, c.E, tokens, paddingIdx, scattered);
      expectClose(byToken.dEmbedding!, scattered, 1e-5, 1e-5);
      expectClose(byToken.dWih!, viaDx.dWih!, 1e-5, 1e-5);
      const before = randomArray(seeded(3), V * c.E);
      for (const row of [paddingIdx, V - 2, V - 1])
        for (let j = 0; j < c.E; j++) expect(byToken.dEmbedding![row * c.E + j]).toBe(before[row * c.E + j]);
    }
  });

  it('refuses dEmbedding without tokens, and tokens outside [0, V)', () => {
    const data = randomCase('rnn_tanh', SEQ_CASES.find((c) => c.tokens)!, 5);
    const noTokens = { ...data, embedded: { ...data.embedded!, tokens: null as unknown as Int32Array } };
    expect(() => onRun(noTokens, 'native')).toThrow(/rnnBackward: dEmbedding needs tokens/);
    expect(() => onRun(noTokens, 'js')).toThrow(/rnnBackward: dEmbedding needs tokens/);
    const wide = { ...data, embedded: { ...data.embedded!, V: 3 } };
    expect(() => onRun(wide, 'native')).toThrow(/tokens\[\d+\] must be in \[0, 2\]/);
  });

  it('rejects lengths outside [0, T], short buffers and a projection without its weight', () => {
    const fwd = kernelFor('lstmForward', 'native')!;
    const z = (n: number) => new Float32Array(n);
    const run = (P: number, wHr: Float32Array | null, lengths: Int32Array | null, gates: Float32Array) =>
      fwd(
        2,
        1,
        1,
        1,
        P,
        z(2),
        z(4),
        z(4),
        wHr,
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
        z(2),
      );
    expect(() => run(0, null, Int32Array.from([3]), z(8))).toThrow(/lengths\[0\] must be in \[0, 2\], got 3/);
    expect(() => run(0, null, null, z(7))).toThrow(/lstmForward: gates needs at least 8 elements, got 7/);
    expect(() => run(1, null, null, z(8))).toThrow(/lstmForward: P is 1, so wHr and hidden must be given/);
  });
});
