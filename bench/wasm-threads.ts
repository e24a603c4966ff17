/*
 * The one-thread against the two-thread WebAssembly build (SIMD128), in one process and in wall
 * time (CPU time sums the threads): `tsx bench/wasm-threads.ts [rounds]`. Each round loads the
 * one-thread build and then the threaded one with one worker (switchWasmBuild: the same compiled
 * modules, so V8's optimized code carries over), and times on each, after warm-up, the SGEMMs
 * 6400×128·128×256 and 512³ and the seed classifier's training step and inference; the figures are
 * the medians over rounds of each round's median, and the best round's. Prints one JSON object
 * (WasmThreadBench) with the load average before and after.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { kernelFor, setBackend } from '../src/backend/registry.js';
import { wasmUrl } from '../src/backend/wasm/features.js';
import { startWasmThreads, switchWasmBuild, wasmInfo } from '../src/backend/wasm/index.js';
import { loadWasmSync, spawnNodeWorker } from '../src/backend/wasm/load-node.js';
import { Generator } from '../src/tensor/random.js';
import { seedWorkload } from './seed.js';
import { THREAD_GEMMS, type WasmThreadBench, type WasmThreadTimes } from './wasm-report.js';
import { medianOfRounds, medianTimes } from './wasm-time.js';

const rounds = Number(process.argv[2] ?? 5);
const loadBefore = loadavg()[0]!;
process.env.KIOKU_NUM_THREADS = '1';
const reason = loadWasmSync();
if (reason !== '') throw new Error(`bench/wasm-threads.ts: the WebAssembly backend did not load (${reason})`);
setBackend('wasm');
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } })
  .WebAssembly;
const modules = [false, true].map(
  (threaded) => new WebAssemblyApi.Module(readFileSync(wasmUrl('simd128', threaded))),
);

const gen = new Generator(0);
const rand = (n: number) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));
const operands = THREAD_GEMMS.map(
  ([m, k, n]) => [rand(m * k), rand(k * n), new Float32Array(m * n)] as const,
);
const seed = seedWorkload(32, 200);

function measure(): WasmThreadTimes {
  const gemm = kernelFor('gemm', 'wasm')!;
  const out: Record<string, number> = {};
  THREAD_GEMMS.forEach(([m, k, n], i) => {
    const [a, b, c] = operands[i]!;
    const { wall } = medianTimes(() => gemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false), 15, 10);
    out[`${m}x${k}x${n}`] = (2 * m * n * k) / wall / 1e6;
  });
  return {
    gemm: out,
    trainMs: medianTimes(seed.trainStep, 7, 2).wall,
    inferMs: medianTimes(seed.infer, 7, 2).wall,
  };
}

const one: WasmThreadTimes[] = [];
const two: WasmThreadTimes[] = [];
for (let r = 0; r < rounds; r++) {
  switchWasmBuild(modules[0]!, 'simd128');
  one.push(measure());
  switchWasmBuild(modules[1]!, 'simd128');
  startWasmThreads(1, spawnNodeWorker, (line) => process.stderr.write(`${line}\n`));
  for (let i = 0; i < 500 && wasmInfo()!.threads < 2; i++) await new Promise((done) => setTimeout(done, 10));
  if (wasmInfo()!.threads < 2) throw new Error('bench/wasm-threads.ts: the worker did not start');
  two.push(measure());
  process.stderr.write(`bench:wasm-threads: round ${r + 1} of ${rounds} done\n`);
}
/** The round with the fastest figures (each taken on its own): on a loaded machine, nearest an idle one. */
const best = (runs: WasmThreadTimes[]): WasmThreadTimes => ({
  gemm: Object.fromEntries(
    Object.keys(runs[0]!.gemm).map((key) => [key, Math.max(...runs.map((x) => x.gemm[key]!))]),
  ),
  trainMs: Math.min(...runs.map((x) => x.trainMs)),
  inferMs: Math.min(...runs.map((x) => x.inferMs)),
});
const result: WasmThreadBench = {
  rounds,
  load: [loadBefore, loadavg()[0]!],
  one: medianOfRounds(one),
  two: medianOfRounds(two),
  best: { one: best(one), two: best(two) },
};
console.log(JSON.stringify(result));
