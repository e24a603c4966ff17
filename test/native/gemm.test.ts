import { describe, expect, it } from 'vitest';
import { nativeBackend } from '../../src/backend/native/index.js';
import { threadCount } from '../../src/backend/native/loader.js';
import { kernelFor } from '../../src/backend/registry.js';
import { expectClose, randomArray, seeded } from './compare.js';

const { addon } = nativeBackend();
const gemmJs = kernelFor('gemm', 'js')!;
const gemmNative = kernelFor('gemm', 'native');

// Every instruction set this build and CPU run, so each micro-kernel is checked against the reference.
const isas = addon ? addon.info().isas : [];

const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [1, 257, 3],
  [3, 17, 257],
  [17, 3, 1],
  [257, 17, 3],
  [17, 257, 17],
  [33, 65, 300],
  // Every bottom edge of a 6-row tile (AVX2's edge micro-kernels: 1 to 5 rows left).
  [7, 32, 9],
  [8, 48, 70],
  [10, 16, 260],
  [16, 64, 64],
  // Matrix-vector shapes: full and partial row blocks, k with and without a tail.
  [1, 256, 192],
  [2, 40, 33],
  [4, 16, 16],
];

interface Case {
  ta: boolean;
  tb: boolean;
  m: number;
  n: number;
  k: number;
  accumulate: boolean;
  padded: boolean;
  // A's leading dimension when wider than its padded rows.
  lda?: number;
}

function run(c: Case, seed: number): { expected: Float32Array; actual: Float32Array } {
  const gen = seeded(seed);
  // With `padded`, each matrix starts at an offset and has a leading dimension wider than it.
  const pad = c.padded ? 5 : 0;
  const [aRows, aCols] = c.ta ? [c.k, c.m] : [c.m, c.k];
  const [bRows, bCols] = c.tb ? [c.n, c.k] : [c.k, c.n];
  const lda = c.lda ?? aCols + pad;
  const ldb = bCols + pad;
  const ldc = c.n + pad;
  const a = randomArray(gen, pad + aRows * lda);
  const b = randomArray(gen, pad + bRows * ldb);
  const c0 = randomArray(gen, pad + c.m * ldc + pad);
  const expected = c0.slice();
  const actual = c0.slice();
  const args = [c.ta, c.tb, c.m, c.n, c.k, a, pad, lda, b, pad, ldb] as const;
  gemmJs(...args, expected, pad, ldc, c.accumulate);
  gemmNative!(...args, actual, pad, ldc, c.accumulate);
  return { expected, actual };
}

describe.skipIf(!addon)('native gemm vs the JS reference', () => {
  for (const isa of isas) {
    it(`matches on every transpose case, odd sizes, offsets and strides (${isa})`, () => {
      addon!.setIsa(isa);
      try {
        let seed = 1;
        for (const [m, n, k] of SIZES)
          for (const ta of [false, true])
            for (const tb of [false, true])
              for (const accumulate of [false, true])
                for (const padded of [false, true]) {
                  const { expected, actual } = run({ ta, tb, m, n, k, accumulate, padded }, seed++);
                  // Padding around C must be untouched, so compare the whole buffer.
                  expectClose(actual, expected, 1e-5 * Math.sqrt(k), 1e-5);
                }
      } finally {
        addon!.setIsa(addon!.info().detectedIsa);
      }
    });
  }

  // A is packed, not read in place, where its rows would share cache sets (a row-major A whose
  // leading dimension is a multiple of 1024) or lie far apart (a transposed A past 1024): full
  // slivers, a short last one and a second MC block of A.
  for (const isa of isas) {
    it(`matches where A is packed (${isa})`, () => {
      addon!.setIsa(isa);
      try {
        let seed = 70;
        for (const [ta, m, k, lda] of [
          [false, 13, 270, 1024],
          [false, 101, 40, 2048],
          [true, 103, 21, 1100],
          [true, 7, 300, 2048],
        ] as const)
          for (const accumulate of [false, true]) {
            const c: Case = { ta, tb: false, m, n: 35, k, accumulate, padded: true, lda };
            const { expected, actual } = run(c, seed++);
            expectClose(actual, expected, 1e-5 * Math.sqrt(k), 1e-5);
          }
      } finally {
        addon!.setIsa(addon!.info().detectedIsa);
      }
    });
  }

  it('splits large products over threads with the same result', () => {
    const { expected, actual } = run(
      { ta: false, tb: true, m: 600, n: 130, k: 70, accumulate: true, padded: true },
      9,
    );
    expectClose(actual, expected, 1e-4, 1e-5);
  });

  it('splits a large product over two threads bit for bit as one thread computes it', () => {
    const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer));
    // Rows split into even ranges of whole slivers (509: a short last one), k over two panels of B.
    const c: Case = { ta: false, tb: true, m: 509, n: 70, k: 300, accumulate: true, padded: true };
    addon!.init(1);
    try {
      const one = run(c, 60).actual;
      addon!.init(2);
      const { expected, actual } = run(c, 60);
      expectClose(actual, expected, 1e-5 * Math.sqrt(300), 1e-5);
      expect(bits(actual)).toEqual(bits(one));
    } finally {
      addon!.init(threadCount());
    }
  });

  it('splits a batch-1 product with a large transposed B (an output layer) over two threads, bit for bit', () => {
    const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer));
    for (const m of [1, 3]) {
      const c: Case = { ta: false, tb: true, m, n: 1000, k: 40, accumulate: true, padded: true };
      addon!.init(1);
      const one = run(c, 50 + m).actual;
      addon!.init(2);
      try {
        // A job just before keeps the worker spinning, so that it takes its half.
        for (let rep = 0; rep < 20; rep++) {
          run({ ta: false, tb: true, m: 600, n: 130, k: 70, accumulate: true, padded: true }, 9);
          const { expected, actual } = run(c, 50 + m);
          expectClose(actual, expected, 1e-5 * Math.sqrt(40), 1e-5);
          expect(bits(actual)).toEqual(bits(one));
        }
      } finally {
        addon!.init(threadCount());
      }
    }
  });

  it('splits a long k over threads (a weight gradient) with the same result, for every transpose', () => {
    let seed = 30;
    for (const ta of [false, true])
      for (const tb of [false, true])
        for (const accumulate of [false, true]) {
          const { expected, actual } = run(
            { ta, tb, m: 37, n: 45, k: 1501, accumulate, padded: true },
            seed++,
          );
          expectClose(actual, expected, 1e-5 * Math.sqrt(1501), 1e-5);
        }
  });

  it('k = 0 zeroes C, or leaves it when accumulating', () => {
    const c = new Float32Array([1, 2, 3, 4]);
    gemmNative!(false, false, 2, 2, 0, new Float32Array(0), 0, 0, new Float32Array(0), 0, 2, c, 0, 2, true);
    expect(Array.from(c)).toEqual([1, 2, 3, 4]);
    gemmNative!(false, false, 2, 2, 0, new Float32Array(0), 0, 0, new Float32Array(0), 0, 2, c, 0, 2, false);
    expect(Array.from(c)).toEqual([0, 0, 0, 0]);
  });

  it('throws instead of reading or writing out of bounds', () => {
    const a = new Float32Array(6);
    const b = new Float32Array(6);
    const c = new Float32Array(4);
    const g = gemmNative!;
    // a is 2×3 but only 5 elements remain after the offset.
    expect(() => g(false, false, 2, 2, 3, a, 1, 3, b, 0, 2, c, 0, 2, false)).toThrow(
      /gemm: a needs 7 elements/,
    );
    expect(() => g(false, false, 2, 2, 3, a, 0, 3, b, 0, 2, c, 1, 2, false)).toThrow(
      /gemm: c needs 5 elements/,
    );
    expect(() => g(false, true, 2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, false)).toThrow(
      /gemm: b leading dimension must be at least 3, got 2/,
    );
    expect(() => g(false, false, -1, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, false)).toThrow(RangeError);
    expect(() => g(false, false, 1.5, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, false)).toThrow(
      /non-negative integer/,
    );
    const f64 = new Float64Array(6) as unknown as Float32Array;
    expect(() => g(false, false, 2, 2, 3, f64, 0, 3, b, 0, 2, c, 0, 2, false)).toThrow(TypeError);
  });
});
