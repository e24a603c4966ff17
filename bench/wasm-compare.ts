/*
 * `npm run bench:wasm`: the WebAssembly section of `npm run bench` on its own, in a few minutes —
 * the wasm builds (child processes, bench/wasm.ts) beside what they are compared with, measured in
 * the same run: native GEMM and seed step on one thread, the JS seed step, PyTorch's seed step,
 * TensorFlow.js's wasm backend on the LSTM without the embedding, native at hidden 256 and 512.
 * Replaces the section between the bench:wasm markers of BENCHMARKS.md (or appends it).
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { nativeBackend } from '../src/backend/native/index.js';
import { threadCount } from '../src/backend/native/loader.js';
import { kernelFor, setBackend } from '../src/backend/registry.js';
import { Generator } from '../src/tensor/random.js';
import { writeSection } from './sections.js';
import { seedWorkload } from './seed.js';
import { repsFor } from './stats.js';
import { configKey, sweepWorkload } from './sweep.js';
import { tfjsLstm } from './tfjs.js';
import { bestOf, runTorch } from './torch.js';
import { runWasmBenches, WASM_GEMMS, WASM_SWEEP, wasmSection } from './wasm-report.js';
import { medianCpuMs } from './wasm-time.js';

const { addon, reason } = nativeBackend();
if (!addon) throw new Error(`bench:wasm: the native addon is unavailable (${reason})`);
const native = addon;
const threads = threadCount();
const startedAt = performance.now();
const load0 = loadavg();
const oneThread = <T>(fn: () => T): T => {
  native.init(1);
  try {
    return fn();
  } finally {
    native.init(threads);
  }
};

function nativeGemm1(): Record<string, number> {
  const gemm = kernelFor('gemm', 'native')!;
  const gen = new Generator(0);
  const rand = (n: number) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));
  const out: Record<string, number> = {};
  for (const [m, k, n] of WASM_GEMMS) {
    const [a, b, c] = [rand(m * k), rand(k * n), new Float32Array(m * n)];
    const flops = 2 * m * n * k;
    const run = () => gemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
    out[`${m}x${k}x${n}`] =
      flops / oneThread(() => medianCpuMs(run, repsFor(flops, 50, 200, 9, 2000), 2)) / 1e6;
  }
  return out;
}

/** Native at the wasm sweep shapes on one thread, in CPU time as the wasm rows. */
function nativeSweep() {
  const out: Record<string, { trainMs: number; inferMs: number; threads: number }> = {};
  for (const c of WASM_SWEEP) {
    const w = sweepWorkload(c);
    out[configKey(c)] = oneThread(() => ({
      trainMs: medianCpuMs(w.trainStep, c.reps, c.warmup),
      inferMs: medianCpuMs(w.infer, c.reps, c.warmup),
      threads: 1,
    }));
  }
  return out;
}

const log = (s: string) => process.stderr.write(`bench:wasm: ${s}\n`);
setBackend('native');
log('native GEMM and seed step (one thread)…');
const gemmNative1 = nativeGemm1();
const seed = seedWorkload(32, 200);
const native1 = oneThread(() => [medianCpuMs(seed.trainStep, 9, 2), medianCpuMs(seed.infer, 9, 2)] as const);
log('native at hidden 256 and 512 (one thread)…');
const sweep = nativeSweep();
setBackend('js');
log('JS seed step…');
const js = [medianCpuMs(seed.trainStep, 5, 2), medianCpuMs(seed.infer, 5, 2)] as const;
setBackend('native');
log('PyTorch…');
const torch = runTorch(threads > 1 ? [1, 2] : [1], 5, [], 1);
log('TensorFlow.js wasm on the LSTM without the embedding…');
const plan = { T: 50, reps: 3, warmup: 1 };
const tf = (await tfjsLstm('wasm', { B: 32, vocab: 0, train: plan, infer: plan }, threads))?.train;
log('WebAssembly: SIMD128, then relaxed SIMD…');
const rounds = 3;
const runs = runWasmBenches(rounds);

const lines: string[] = [];
const say = (s = '') => lines.push(s);
wasmSection(say, {
  runs,
  rounds,
  kiokuCpuTime: true,
  gemmNative1,
  seed: {
    native1,
    js,
    torchTrain: bestOf(torch, (r) => r.seed.train_ms),
    torchInfer: bestOf(torch, (r) => r.seed.infer_ms),
  },
  tfWasmPlainTrainMs: tf && !('error' in tf) ? tf.ms : null,
  nativeSweep: sweep,
});
const avg = (l: number[]) => l.map((v) => v.toFixed(1)).join(', ');
say(
  `Command: \`npm run bench:wasm\` (bench/wasm-compare.ts; \`npm run bench\` writes this section too). Date: ${new Date().toISOString().slice(0, 16)} UTC, Node ${process.version}, ${threads} threads, ${((performance.now() - startedAt) / 60e3).toFixed(1)} min; load average ${avg(load0)} at the start, ${avg(loadavg())} at the end (a machine shared with other work: compare the columns of this run with each other).`,
);

writeSection(fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url)), 'wasm', lines);
console.log(lines.join('\n'));
