import { describe, expect, it } from 'vitest';
import '../../src/backend/js/gemm.js';
import { kernels } from '../../src/backend/registry.js';
import { ShapeError } from '../../src/tensor/errors.js';

describe('gemmPacked', () => {
  it('matches a float64 reference for every transpose, edge tile, offset and accumulate case', () => {
    let s = 7;
    const rand = (n: number) =>
      Float32Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5);
    // n % 4 ≠ 0 and m % 4 ≠ 0 hit the edge tiles; k > 256 spans two packed panels.
    for (const [m, n, k] of [
      [1, 1, 1],
      [7, 258, 64],
      [33, 65, 300],
      [5, 600, 9],
    ] as const)
      for (const ta of [false, true])
        for (const tb of [false, true])
          for (const acc of [false, true]) {
            const pad = 3;
            const lda = (ta ? m : k) + pad;
            const ldb = (tb ? k : n) + pad;
            const ldc = n + pad;
            const a = rand(pad + (ta ? k : m) * lda);
            const b = rand(pad + (tb ? n : k) * ldb);
            const c0 = rand(pad + m * ldc);
            const c = c0.slice();
            kernels.gemmPacked(
              ta,
              m,
              n,
              k,
              a,
              pad,
              lda,
              kernels.gemmPackB(tb, k, n, b, pad, ldb),
              c,
              pad,
              ldc,
              acc,
            );
            let maxErr = 0;
            for (let i = 0; i < m; i++)
              for (let j = 0; j < ldc && pad + i * ldc + j < c.length; j++) {
                const o = pad + i * ldc + j;
                if (j >= n) {
                  expect(c[o]).toBe(c0[o]); // the padding between rows is left alone
                  continue;
                }
                let want = acc ? c0[o]! : 0;
                for (let p = 0; p < k; p++)
                  want +=
                    a[pad + (ta ? p * lda + i : i * lda + p)]! * b[pad + (tb ? j * ldb + p : p * ldb + j)]!;
                maxErr = Math.max(maxErr, Math.abs(c[o]! - want));
              }
            expect(maxErr).toBeLessThan(1e-5);
          }
  });

  it('rejects B packed for another shape', () => {
    const packed = kernels.gemmPackB(false, 4, 4, new Float32Array(16), 0, 4);
    expect(() =>
      kernels.gemmPacked(false, 2, 3, 4, new Float32Array(8), 0, 4, packed, new Float32Array(6), 0, 3, false),
    ).toThrow(ShapeError);
  });
});
