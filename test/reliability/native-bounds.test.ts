import { describe, expect, it } from 'vitest';
import { nativeBackend } from '../../src/backend/native/index.js';

const { addon } = nativeBackend();
type Fn = (...args: unknown[]) => unknown;
const call = (name: string, ...args: unknown[]) => (addon as unknown as Record<string, Fn>)[name]!(...args);
const f32 = (n: number) => new Float32Array(n).fill(0.5);

/**
 * Each entry point is called once with arguments that fit (it must succeed) and then with one
 * typed array too short, one index out of range, or one shape too large: each must throw a
 * RangeError naming the argument instead of touching memory outside the arrays.
 */
const CASES: Array<{ name: string; args: () => unknown[]; bad: Array<[number, unknown, RegExp]> }> = [
  {
    name: 'gemm', // C (2×3) = A (2×4) · B (4×3)
    args: () => [false, false, 2, 3, 4, f32(8), 0, 4, f32(12), 0, 3, f32(6), 0, 3, false],
    bad: [
      [5, f32(7), /gemm: a needs 8 elements/],
      [8, f32(11), /gemm: b needs 12/],
      [11, f32(5), /gemm: c needs 6/],
      [12, 1, /gemm: c needs 7/],
      [7, 3, /gemm: a leading dimension/],
    ],
  },
  {
    name: 'binary',
    args: () => ['add', f32(6), [2, 3], f32(3), [3], f32(6), [2, 3]],
    bad: [
      [1, f32(5), /binary: a needs at least 6/],
      [3, f32(2), /binary: b needs at least 3/],
      [5, f32(5), /binary: out needs at least 6/],
      [6, [65536, 65536, 65536, 65536], /binary: outShape describes more than 2\^53/],
    ],
  },
  {
    name: 'sumToShape',
    args: () => [f32(6), [2, 3], f32(3), [3]],
    bad: [
      [0, f32(5), /sumToShape: src needs at least 6/],
      [2, f32(2), /sumToShape: dst needs at least 3/],
    ],
  },
  { name: 'unary', args: () => ['exp', f32(4), f32(4)], bad: [[2, f32(3), /unary: out needs at least 4/]] },
  {
    name: 'unaryBackward',
    args: () => ['log', f32(4), f32(4), f32(4), f32(4)],
    bad: [
      [1, f32(3), /unaryBackward: x needs at least 4/],
      [4, f32(3), /unaryBackward: gx needs at least 4/],
    ],
  },
  {
    name: 'embeddingForward', // 5 rows of 2, 3 lookups
    args: () => [f32(10), 2, Int32Array.of(0, 4, 2), f32(6)],
    bad: [
      [2, Int32Array.of(0, 5, 2), /indices\[1\] must be in \[0, 5\), got 5/],
      [2, Int32Array.of(-1), /indices\[0\] must be in \[0, 5\), got -1/],
      [3, f32(5), /embeddingForward: out needs at least 6/],
    ],
  },
  {
    name: 'embeddingBackward',
    args: () => [f32(6), 2, Int32Array.of(0, 4, 2), -1, f32(10)],
    bad: [
      [2, Int32Array.of(0, 9, 2), /indices\[1\] must be in \[0, 5\)/],
      [0, f32(5), /embeddingBackward: gOut needs at least 6/],
    ],
  },
  {
    name: 'adamStep',
    args: () => [f32(4), f32(4), f32(4), f32(4), f32(4), 0.1, 0.9, 0.999, 1e-8, 0, false, false, 1],
    bad: [
      [1, f32(3), /adamStep: grad needs at least 4/],
      [3, f32(3), /adamStep: v needs at least 4/],
      [4, f32(3), /adamStep: vmax needs at least 4/],
    ],
  },
  {
    name: 'permute',
    args: () => [f32(6), [2, 3], [1, 0], f32(6), false],
    bad: [
      [3, f32(5), /permute: out needs at least 6/],
      [2, [1, 1], /permute: perm must be a permutation/],
      // 2^64 elements: a count that wraps to 0 would pass the length checks.
      [1, [65536, 65536, 65536, 65536], /permute: shape describes more than 2\^53/],
    ],
  },
  {
    name: 'rnnForward', // T 2, B 1, E 3, H 2
    args: () => [2, 1, 3, 2, false, f32(6), f32(6), f32(4), null, null, f32(2), null, false, f32(4), f32(2)],
    bad: [
      [5, f32(5), /rnnForward: x needs at least 6/],
      [11, Int32Array.of(3), /rnnForward: lengths\[0\] must be in \[0, 2\]/],
      [13, f32(3), /rnnForward: out needs at least 4/],
    ],
  },
  {
    name: 'gruForward',
    args: () => [
      2,
      1,
      3,
      2,
      f32(6),
      f32(18),
      f32(12),
      null,
      null,
      f32(2),
      null,
      false,
      f32(4),
      f32(2),
      f32(16),
    ],
    bad: [
      [5, f32(17), /gruForward: wIh needs at least 18/],
      [14, f32(15), /gruForward: gates needs at least 16/],
    ],
  },
  {
    name: 'lstmForward',
    args: () => [
      2,
      1,
      3,
      2,
      0,
      f32(6),
      f32(24),
      f32(16),
      null,
      null,
      null,
      f32(2),
      f32(2),
      null,
      false,
      f32(4),
      f32(2),
      f32(2),
      f32(16),
      f32(4),
      null,
    ],
    bad: [
      [6, f32(23), /lstmForward: wIh needs at least 24/],
      [12, f32(1), /lstmForward: c0 needs at least 2/],
      [19, f32(3), /lstmForward: cells needs at least 4/],
    ],
  },
];

describe.skipIf(!addon)('native entry points check their typed-array arguments', () => {
  for (const c of CASES) {
    it(`${c.name}: fitting arguments run, a short array or bad index throws RangeError`, () => {
      expect(() => call(c.name, ...c.args())).not.toThrow();
      for (const [at, value, message] of c.bad) {
        const args = c.args();
        args[at] = value;
        let thrown: unknown;
        try {
          call(c.name, ...args);
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toBeInstanceOf(RangeError);
        expect((thrown as Error).message).toMatch(message);
      }
    });
  }

  it('a typed array of the wrong kind is a TypeError', () => {
    expect(() => call('unary', 'exp', new Float64Array(4), f32(4))).toThrow(TypeError);
    expect(() => call('embeddingForward', f32(10), 2, new Float32Array(3), f32(6))).toThrow(
      /indices must be an Int32Array/,
    );
  });
});
