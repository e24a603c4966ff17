/*
 * The WebAssembly backend's benchmark rows, in a process of their own: `tsx bench/wasm.ts [sweep]`
 * (the SIMD128 build; with `node --experimental-wasm-relaxed-simd --import tsx bench/wasm.ts`, the
 * relaxed-SIMD one). Prints one JSON object (WasmBench) on stdout; bench/wasm-report.ts runs it
 * in rounds, alternating the builds, and puts the medians beside native, JS, PyTorch and
 * TensorFlow.js. With `sweep`, also hidden 256 and 512. One thread (bench/wasm-report.ts sets
 * KIOKU_NUM_THREADS=1; bench/wasm-threads.ts compares the threaded build). Times are CPU time
 * (bench/wasm-time.ts).
 *
 * Warm-up: V8 compiles each function of the module on its first call with its baseline compiler
 * and moves it to optimized code once it has run enough, compiled in the background; measured with
 * bench/wasm-tierup.ts, a fresh load's second GEMM and second training step already run at the
 * optimized speed. The first training step of a fresh load is reported on its own ("first step":
 * also the first run of the JS around the kernels); the medians come after 3 warm-up steps (20
 * warm-up GEMMs).
 */
import { kernelFor, setBackend } from '../src/backend/registry.js';
import { wasmBackend } from '../src/backend/wasm/index.js';
import { loadWasmSync } from '../src/backend/wasm/load-node.js';
import { Generator } from '../src/tensor/random.js';
import { seedWorkload } from './seed.js';
import { repsFor } from './stats.js';
import { configKey, sweepWorkload } from './sweep.js';
import { gemmInLinearMemory } from './wasm-micro.js';
import { WASM_GEMMS, WASM_SWEEP, type WasmBench } from './wasm-report.js';
import { cpuMs, medianCpuMs, medianTimes } from './wasm-time.js';

/** GEMM GFLOP/s by shape through the backend (copies included), and on arrays in linear memory. */
function gemmRows(): Pick<WasmBench, 'gemm' | 'gemmInMemory'> {
  const gemm = kernelFor('gemm', 'wasm')!;
  const gen = new Generator(0);
  const rand = (n: number) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));
  const out: WasmBench['gemm'] = {};
  const inMemory: WasmBench['gemm'] = {};
  for (const [m, k, n] of WASM_GEMMS) {
    const [a, b, c] = [rand(m * k), rand(k * n), new Float32Array(m * n)];
    const flops = 2 * m * n * k;
    const reps = repsFor(flops, 30, 200, 9, 2000);
    const ms = medianCpuMs(() => gemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false), reps, 20);
    out[`${m}x${k}x${n}`] = flops / ms / 1e6;
    const run = gemmInLinearMemory(wasmBackend()!.instance, m, k, n, a, b);
    inMemory[`${m}x${k}x${n}`] = flops / medianCpuMs(run, reps, 20) / 1e6;
  }
  return { gemm: out, gemmInMemory: inMemory };
}

function timed(w: { trainStep(): void; infer(): void }, reps: number, warmup = 3) {
  return { trainMs: medianCpuMs(w.trainStep, reps, warmup), inferMs: medianCpuMs(w.infer, reps, warmup) };
}

/** The LSTM without the embedding, with its training step's wall time for the TensorFlow.js ratio. */
function plainTimes(): WasmBench['plain'] {
  const w = seedWorkload(32, 50, false);
  const train = medianTimes(w.trainStep, 9, 3);
  return { trainMs: train.cpu, trainWallMs: train.wall, inferMs: medianCpuMs(w.infer, 9, 3) };
}

const reason = loadWasmSync();
if (reason !== '') throw new Error(`bench/wasm.ts: the WebAssembly backend did not load (${reason})`);
setBackend('wasm');
// The seed first, on a fresh load: its first step is what a user's first step costs.
const seed = seedWorkload(32, 200);
const firstStepMs = cpuMs(seed.trainStep);
const seedTimes = timed(seed, 9);
const sweep: WasmBench['sweep'] = {};
if (process.argv[2] === 'sweep')
  for (const c of WASM_SWEEP) sweep[configKey(c)] = timed(sweepWorkload(c), c.reps, c.warmup);
const result: WasmBench = {
  flavor: wasmBackend()!.flavor,
  ...gemmRows(),
  seed: { ...seedTimes, firstStepMs },
  plain: plainTimes(),
  sweep,
};
console.log(JSON.stringify(result));
