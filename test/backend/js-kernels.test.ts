import { describe, expect, it } from 'vitest';
import '../../src/backend/js/gemm.js';
import { sigmoid, tanh } from '../../src/backend/js/recurrent-common.js';
import { kernelFor } from '../../src/backend/registry.js';

// The JS kernels themselves, whatever backend is active.
const gemm = kernelFor('gemm', 'js')!;
const gemmPackB = kernelFor('gemmPackB', 'js')!;
const gemmPacked = kernelFor('gemmPacked', 'js')!;

let seed = 11;
const rand = (n: number) =>
  Float32Array.from(
    { length: n },
    () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5,
  );

describe('JS gate nonlinearities', () => {
  // Arguments from 1e-12 to 800 in magnitude, both signs: tanh's small-argument branch of e^x − 1,
  // every table entry of 2^(j/32), and the clamps at both ends of the double range.
  const args: number[] = [0, 1e-300, -1e-300];
  for (let e = -12; e <= 2.9; e += 0.01) for (const s of [1, -1]) args.push(s * 10 ** e);

  it('sigmoid matches 1/(1 + Math.exp(−v)) to 1e-12 relative', () => {
    let worst = 0;
    for (const v of args) {
      const want = 1 / (1 + Math.exp(-v));
      if (want === 0) expect(Math.fround(sigmoid(v))).toBe(0);
      else worst = Math.max(worst, Math.abs(sigmoid(v) - want) / want);
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it('tanh matches Math.tanh to 1e-12 relative, down to tiny arguments', () => {
    let worst = 0;
    for (const v of args) {
      const want = Math.tanh(v);
      if (want === 0) expect(tanh(v)).toBe(0);
      else worst = Math.max(worst, Math.abs(tanh(v) - want) / Math.abs(want));
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it('saturates at the infinities and passes NaN through', () => {
    expect(sigmoid(Number.POSITIVE_INFINITY)).toBe(1);
    expect(sigmoid(Number.NEGATIVE_INFINITY)).toBeLessThan(1e-300);
    expect(tanh(Number.POSITIVE_INFINITY)).toBe(1);
    expect(tanh(Number.NEGATIVE_INFINITY)).toBe(-1);
    expect(sigmoid(Number.NaN)).toBeNaN();
    expect(tanh(Number.NaN)).toBeNaN();
  });
});

describe('JS gemm and gemmPacked across block boundaries', () => {
  // m > 64 (two A blocks), n > 512 (two B panels), k > 256 (two depth panels), edge tiles in each.
  const shapes = [
    [70, 521, 260],
    [67, 9, 513],
  ] as const;
  for (const [m, n, k] of shapes)
    for (const ta of [false, true])
      for (const tb of [false, true])
        it(`${m}×${n}×${k}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''} matches a float64 reference, plain and packed`, () => {
          const lda = ta ? m : k;
          const ldb = tb ? k : n;
          const a = rand(m * k);
          const b = rand(k * n);
          const c0 = rand(m * n);
          const want = new Float64Array(m * n);
          for (let i = 0; i < m; i++)
            for (let j = 0; j < n; j++) {
              let s = c0[i * n + j]!;
              for (let p = 0; p < k; p++)
                s += a[ta ? p * lda + i : i * lda + p]! * b[tb ? j * ldb + p : p * ldb + j]!;
              want[i * n + j] = s;
            }
          const plain = c0.slice();
          gemm(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, plain, 0, n, true);
          const packed = c0.slice();
          gemmPacked(ta, m, n, k, a, 0, lda, gemmPackB(tb, k, n, b, 0, ldb), packed, 0, n, true);
          let worst = 0;
          for (let i = 0; i < m * n; i++)
            worst = Math.max(worst, Math.abs(plain[i]! - want[i]!), Math.abs(packed[i]! - want[i]!));
          expect(worst).toBeLessThan(1e-5);
        });
});
