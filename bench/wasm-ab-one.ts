/*
 * One measurement for bench/wasm-ab.ts: loads the module file given as the first argument as the
 * wasm backend and prints one JSON line: GEMM GFLOP/s by shape (the copies in and out included) and
 * the seed classifier's training step and inference in ms, all from CPU time rather than wall time.
 */
import { readFileSync } from 'node:fs';
import { kernelFor, setBackend } from '../src/backend/registry.js';
import { installWasm } from '../src/backend/wasm/index.js';
import { requireWasmApi } from '../src/backend/wasm/wasm-api.js';
import { Generator } from '../src/tensor/random.js';
import { seedWorkload } from './seed.js';
import { repsFor } from './stats.js';
import { WASM_AB_GEMMS } from './wasm-ab.js';
import { medianCpuMs } from './wasm-time.js';

const file = process.argv[2]!;
installWasm(
  new (requireWasmApi().Module)(readFileSync(file)),
  file.includes('relaxed') ? 'relaxed' : 'simd128',
);
setBackend('wasm');
const gemm = kernelFor('gemm', 'wasm')!;
const gen = new Generator(0);
const rand = (n: number) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));
const result: Record<string, number> = {};
for (const [m, k, n, ta] of WASM_AB_GEMMS) {
  const [a, b, c] = [rand(m * k), rand(k * n), new Float32Array(m * n)];
  const flops = 2 * m * n * k;
  const lda = ta ? m : k;
  const run = () => gemm(ta, false, m, n, k, a, 0, lda, b, 0, n, c, 0, n, false);
  result[`${ta ? 'T' : ''}${m}x${k}x${n}`] =
    flops / medianCpuMs(run, repsFor(flops, 30, 150, 9, 2000), 20) / 1e6;
}
const seed = seedWorkload(32, 200);
result.trainMs = medianCpuMs(seed.trainStep, 9, 3);
result.inferMs = medianCpuMs(seed.infer, 9, 3);
console.log(JSON.stringify(result));
