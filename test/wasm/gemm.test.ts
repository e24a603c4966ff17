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

// The WebAssembly build's own macro-kernel and its packing of a transposed A
// (native/src/wasm/macro_kernel.cc): rows around its tile (2) and block (32), k across its KC
// (256), a leading dimension past the matrix, with and without accumulate.
describe.skipIf(loadWasmSync() !== '')('WebAssembly gemm across tile and block edges', () => {
  const gen = new Generator(13);
  const rand = (n: number) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));
  it.each([5, 6, 7, 31, 33, 66, 67])('m = %i', (m) => {
    const [n, k, pad] = [37, 300, 3];
    for (const ta of [false, true])
      for (const accumulate of [false, true]) {
        const lda = (ta ? m : k) + pad;
        const a = rand((ta ? k : m) * lda);
        const b = rand(k * n);
        const c = rand(m * n);
        const expected = Float64Array.from(c, (v) => (accumulate ? v : 0));
        const scale = new Float64Array(m * n);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++)
            for (let p = 0; p < k; p++) {
              const x = a[ta ? p * lda + i : i * lda + p]! * b[p * n + j]!;
              expected[i * n + j]! += x;
              scale[i * n + j]! += Math.abs(x);
            }
        kernelFor('gemm', 'wasm')!(ta, false, m, n, k, a, 0, lda, b, 0, n, c, 0, n, accumulate);
        c.forEach((v, i) => {
          if (!(Math.abs(v - expected[i]!) <= 2e-5 * (1 + scale[i]!)))
            expect.fail(`ta ${ta}, accumulate ${accumulate}: c[${i}] is ${v}, expected ${expected[i]}`);
        });
      }
  });
});
