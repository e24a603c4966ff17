/*
 * How fast the WebAssembly backend is from its very first call: `tsx bench/wasm-tierup.ts [calls]`
 * loads the module in a fresh Node and times, one by one, the first `calls` (default 6) GEMMs at
 * the seed's input-projection shape, then the first training steps of the seed classifier, in CPU
 * time (wall time beside it). V8 compiles each function on its first call with its baseline
 * compiler (Liftoff) and replaces it with optimized (TurboFan) code once it has run enough; run
 * with V8's flags to compare, e.g. `node --liftoff-only --import tsx bench/wasm-tierup.ts` (baseline
 * code only) or `node --no-liftoff --no-wasm-lazy-compilation …` (everything optimized at load).
 */
import { kernelFor, setBackend } from '../src/backend/registry.js';
import { wasmBackend } from '../src/backend/wasm/index.js';
import { loadWasmSync } from '../src/backend/wasm/load-node.js';
import { Generator } from '../src/tensor/random.js';
import { seedWorkload } from './seed.js';

/** CPU and wall ms of one call. */
function timed(fn: () => void): [number, number] {
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  fn();
  const t = process.cpuUsage(t0);
  return [(t.user + t.system) / 1000, performance.now() - w0];
}

const calls = Number(process.argv[2] ?? 6);
const [, loadMs] = timed(() => {
  const reason = loadWasmSync();
  if (reason !== '')
    throw new Error(`bench/wasm-tierup.ts: the WebAssembly backend did not load (${reason})`);
});
setBackend('wasm');
console.log(`${wasmBackend()!.flavor}: loaded in ${loadMs.toFixed(1)} ms`);

const gemm = kernelFor('gemm', 'wasm')!;
const gen = new Generator(0);
const rand = (n: number) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));
const [m, k, n] = [6400, 128, 256];
const [a, b, c] = [rand(m * k), rand(k * n), new Float32Array(m * n)];
const gflops = (ms: number) => ((2 * m * n * k) / ms / 1e6).toFixed(1);
const g = Array.from({ length: calls }, () =>
  timed(() => gemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false)),
);
console.log(
  `GEMM ${m}×${k}·${k}×${n}, GFLOP/s CPU (wall): ${g.map(([cpu, wall]) => `${gflops(cpu)} (${gflops(wall)})`).join(', ')}`,
);

const seed = seedWorkload(32, 200);
const s = Array.from({ length: calls }, () => timed(seed.trainStep));
console.log(
  `seed training steps, ms CPU (wall): ${s.map(([cpu, wall]) => `${cpu.toFixed(0)} (${wall.toFixed(0)})`).join(', ')}`,
);
