import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../src/backend/registry.js';
import { loadWasmSync } from '../../src/backend/wasm/load-node.js';
import { Generator } from '../../src/tensor/random.js';

// The WebAssembly GEMM's own tile (2×16) at the edges of its blocking: products wider than one
// packed panel of B (NC columns, a multiple of the tile's 16), with every transpose, against a
// float64 reference. The recurrent weights of an LSTM of hidden size 512 are 2048 wide.

describe.skipIf(loadWasmSync() !== '')('WebAssembly gemm across panel boundaries', () => {
  const gen = new Generator(11);
  const rand = (n: number) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));
  it.each([2047, 2048, 2052, 2053, 4100])('n = %i', (n) => {
    const [m, k] = [7, 9];
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const a = rand(m * k);
      const b = rand(k * n);
      const c = rand(m * n);
      const expected = Float64Array.from(c);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[ta ? p * m + i : i * k + p]! * b[tb ? j * k + p : p * n + j]!;
          expected[i * n + j]! += s;
        }
      kernelFor('gemm', 'wasm')!(ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, c, 0, n, true);
      c.forEach((v, i) => {
        if (!(Math.abs(v - expected[i]!) <= 1e-5 * (1 + Math.abs(expected[i]!))))
          expect.fail(`ta ${ta}, tb ${tb}: c[${i}] is ${v}, expected ${expected[i]}`);
      });
    }
  });
});

// Without accumulate, C's block is written without being copied in (src/backend/wasm/marshal.ts):
// the elements around it, and between its rows when ldc > n, must come back as they were.
describe.skipIf(loadWasmSync() !== '')('WebAssembly gemm without accumulate', () => {
  it.each([19, 21])('keeps what lies outside C(m×n) at offset 3, ldc %i', (ldc) => {
    const gen = new Generator(12);
    const rand = (n: number) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));
    const [m, n, k, cOff] = [5, 19, 6, 3];
    const a = rand(m * k);
    const b = rand(k * n);
    const c = rand(cOff + m * ldc + 4);
    const expected = Float64Array.from(c);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
        expected[cOff + i * ldc + j] = s;
        c[cOff + i * ldc + j] = Number.NaN;
      }
    kernelFor('gemm', 'wasm')!(false, false, m, n, k, a, 0, k, b, 0, n, c, cOff, ldc, false);
    c.forEach((v, i) => {
      if (!(Math.abs(v - expected[i]!) <= 1e-5 * (1 + Math.abs(expected[i]!))))
        expect.fail(`c[${i}] is ${v}, expected ${expected[i]}`);
    });
  });
});
