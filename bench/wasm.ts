/*
 * The WebAssembly backend's benchmark rows, in a process of their own: `tsx bench/wasm.ts` (the
 * SIMD128 build; with `node --experimental-wasm-relaxed-simd --import tsx bench/wasm.ts`, the
 * relaxed-SIMD one). Prints one JSON object (WasmBench) on stdout; bench/index.ts runs it once per
 * build and puts the rows beside native, JS, PyTorch and TensorFlow.js. One thread: this backend
 * has no threaded build.
 */
import { kernelFor, setBackend } from '../src/backend/registry.js';
import { wasmBackend } from '../src/backend/wasm/index.js';
import { loadWasmSync } from '../src/backend/wasm/load-node.js';
import { Generator } from '../src/tensor/random.js';
import { seedWorkload } from './seed.js';
import { medianMs, repsFor } from './stats.js';
import { configKey, sweepWorkload } from './sweep.js';
import { WASM_GEMMS, WASM_SWEEP, type WasmBench } from './wasm-report.js';

function gemmRows(): Record<string, number> {
  const gemm = kernelFor('gemm', 'wasm')!;
  const gen = new Generator(0);
  const rand = (n: number) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));
  const out: Record<string, number> = {};
  for (const [m, k, n] of WASM_GEMMS) {
    const [a, b, c] = [rand(m * k), rand(k * n), new Float32Array(m * n)];
    const flops = 2 * m * n * k;
    // Warm-up runs let V8 tier the SIMD code up before timing.
    const ms = medianMs(
      () => gemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false),
      repsFor(flops, 30, 200, 9, 2000),
      20,
    );
    out[`${m}x${k}x${n}`] = flops / ms / 1e6;
  }
  return out;
}

function timed(w: { trainStep(): void; infer(): void }, reps: number, warmup = 3) {
  return { trainMs: medianMs(w.trainStep, reps, warmup), inferMs: medianMs(w.infer, reps, warmup) };
}

const reason = loadWasmSync();
if (reason !== '') throw new Error(`bench/wasm.ts: the WebAssembly backend did not load (${reason})`);
setBackend('wasm');
const sweep: WasmBench['sweep'] = {};
for (const c of WASM_SWEEP) sweep[configKey(c)] = timed(sweepWorkload(c), c.reps, c.warmup);
const result: WasmBench = {
  flavor: wasmBackend()!.flavor,
  gemm: gemmRows(),
  seed: timed(seedWorkload(32, 200), 9),
  plain: timed(seedWorkload(32, 50, false), 9),
  sweep,
};
console.log(JSON.stringify(result));
