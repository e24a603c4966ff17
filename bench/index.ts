/*
 * kioku's benchmark: `npm run bench [-- --sweep full]`. Prints a markdown report and writes it to
 * BENCHMARKS.md. GEMM, the seed's LSTM classifier (vocab 5000, embed 128, hidden 64, batch 32,
 * 200 tokens, Adam) with its training memory, and a sweep of LSTM/GRU/RNN shapes (a reduced one by
 * default, all 27 shapes per cell with `--sweep full`) for kioku-js and kioku-native, next to
 * PyTorch (bench/torch_bench.py) in the same run, with the machine's measured FMA peak. Every time
 * is the median of several runs after warm-up.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { nativeBackend } from '../src/backend/native/index.js';
import { threadCount } from '../src/backend/native/loader.js';
import { kernelFor, setBackend } from '../src/backend/registry.js';
import { LSTM } from '../src/nn/rnn.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Generator } from '../src/tensor/random.js';
import { randn } from '../src/tensor/random-tensors.js';
import { ones, type Tensor, zeros } from '../src/tensor/tensor.js';
import { kiokuMemory, type PeakMemory, peakAboveSetupMiB } from './memory-probe.js';
import { seedWorkload } from './seed.js';
import { medianMs, repsFor } from './stats.js';
import {
  configKey,
  forwardFlops,
  jsRuns,
  type SweepConfig,
  sweepConfigs,
  sweepModeFrom,
  sweepWorkload,
  trainFlops,
} from './sweep.js';
import { tfjsLstmStep } from './tfjs.js';
import { bestOf, runTorch, type TorchResult } from './torch.js';

const { addon, reason } = nativeBackend();
if (!addon) {
  process.stderr.write(`bench: the native addon is unavailable (${reason}); run 'npm run build:native'\n`);
  process.exit(1);
}
const native = addon;
const startedAt = performance.now();
const sweepMode = sweepModeFrom(process.argv.slice(2));
const sweep = sweepConfigs(sweepMode);
// Training steps of the seed workload in each fresh memory-probe process.
const MEM_STEPS = 5;
const threads = threadCount();
const lines: string[] = [];
const say = (s = '') => {
  lines.push(s);
  console.log(s);
};
const fmt = (v: number, digits = 1) => v.toFixed(digits);

function machine(): string {
  let model = 'unknown CPU';
  try {
    const m = /^Model name:\s*(.+)$/m.exec(execFileSync('lscpu', { encoding: 'utf8' }));
    if (m) model = m[1]!.trim();
  } catch {
    // lscpu missing: keep the placeholder
  }
  const info = native.info();
  return `${model}, ${threads} thread(s) used (KIOKU_NUM_THREADS or os.availableParallelism()), ISA ${info.isa}, Node ${process.version}`;
}

function withThreads<T>(n: number, fn: () => T): T {
  native.init(n);
  try {
    return fn();
  } finally {
    native.init(threads);
  }
}

// ---- peak ----
const peak1 = withThreads(1, () => native.peakGflops(1, 0.5));
const peakN = native.peakGflops(threads, 0.5);

// ---- PyTorch, same run ----
const torchThreads = threads > 1 ? [1, 2] : [1];
process.stderr.write('bench: running PyTorch…\n');
const torch: TorchResult[] = runTorch(torchThreads, 7, sweep, MEM_STEPS);
const torchVersion = torch[0]?.torch ?? 'unavailable';

say('# kioku benchmarks');
say();
say(
  `Command: \`npm run bench${sweepMode === 'full' ? ' -- --sweep full' : ''}\` (bench/index.ts; PyTorch side: bench/torch_bench.py run with /usr/bin/python3).`,
);
say(`Machine: ${machine()}.`);
say(
  `Date: ${new Date().toISOString().slice(0, 16)} UTC. PyTorch ${torchVersion}, best of torch.set_num_threads(${torchThreads.join(', ')}) with matching OPENBLAS_NUM_THREADS.`,
);
say(
  `Times are medians of several runs after warm-up. Load average at the start: ${loadavg()
    .map((v) => v.toFixed(1))
    .join(
      ', ',
    )}; on a shared machine compare rows of one run, and the 1-thread rows when other processes keep the cores busy.`,
);
say();
say(
  `Measured FMA peak (native probe, independent FMA chains): 1 thread ${fmt(peak1)} GFLOP/s, ${threads} threads ${fmt(peakN)} GFLOP/s.`,
);
say();

// ---- GEMM ----
say('## SGEMM (row-major, C = A·B)');
say();
say(
  `| M×K·K×N | kioku-js | kioku-native 1 thread | kioku-native ${threads} threads | % of peak | PyTorch best |`,
);
say('|---|---|---|---|---|---|');
const gemmJs = kernelFor('gemm', 'js')!;
const gemmNative = kernelFor('gemm', 'native')!;
const gen = new Generator(0);
const rand = (n: number) => Float32Array.from({ length: n }, () => gen.uniform(-1, 1));
for (const [m, k, n] of [
  [6400, 128, 256],
  [32, 64, 256],
  [512, 512, 512],
] as const) {
  const a = rand(m * k);
  const b = rand(k * n);
  const c = new Float32Array(m * n);
  const flops = 2 * m * n * k;
  const run = (g: typeof gemmJs) => () => g(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
  const jsMs = medianMs(run(gemmJs), repsFor(flops, 1.5, 300, 3, 50));
  const n1Ms = withThreads(1, () => medianMs(run(gemmNative), repsFor(flops, 50, 200, 9, 2000)));
  const nNMs = medianMs(run(gemmNative), repsFor(flops, 80, 200, 9, 2000));
  const gf = (ms: number) => flops / ms / 1e6;
  const t = bestOf(torch, (r) => r.gemm[`${m}x${k}x${n}`]!);
  const torchCell = t ? `${fmt(gf(t.value))} GFLOP/s (${t.threads}t)` : '—';
  const best = Math.max(gf(n1Ms) / peak1, gf(nNMs) / peakN);
  say(
    `| ${m}×${k}·${k}×${n} | ${fmt(gf(jsMs))} GFLOP/s | ${fmt(gf(n1Ms))} GFLOP/s | ${fmt(gf(nNMs))} GFLOP/s | ${fmt(100 * best, 0)}% | ${torchCell} |`,
  );
}
say();

// ---- seed workload ----
const B = 32;
const T = 200;
const seedFlopsFwd = 2 * T * B * 4 * 64 * (128 + 64);
say(`## Seed LSTM classifier (vocab 5000, embed 128, hidden 64, batch ${B}, T ${T}, Adam)`);
say();
say(
  '| backend | train step (ms) | tokens/s | LSTM GFLOP/s | inference (ms) | train vs PyTorch | inference vs PyTorch | training peak memory (MiB) |',
);
say('|---|---|---|---|---|---|---|---|');
const w = seedWorkload(B, T);
const torchTrain = bestOf(torch, (r) => r.seed.train_ms);
const torchInfer = bestOf(torch, (r) => r.seed.infer_ms);
const memCell = (m: PeakMemory | null) =>
  m ? `${fmt(peakAboveSetupMiB(m))} (VmHWM ${fmt(m.hwmKiB / 1024, 0)})` : '—';
function seedRow(label: string, trainMs: number, inferMs: number, mem: PeakMemory | null): void {
  const tok = (B * T) / (trainMs / 1e3);
  const ratio = (ours: number, theirs: { value: number } | null) =>
    theirs ? `${fmt(theirs.value / ours, 2)}×` : '—';
  say(
    `| ${label} | ${fmt(trainMs)} | ${fmt(tok, 0)} | ${fmt((3 * seedFlopsFwd) / trainMs / 1e6)} | ${fmt(inferMs)} | ${ratio(trainMs, torchTrain)} | ${ratio(inferMs, torchInfer)} | ${memCell(mem)} |`,
  );
}
setBackend('native');
const seedNative1 = withThreads(1, () => [medianMs(w.trainStep, 9), medianMs(w.infer, 9)] as const);
const seedNativeN = [medianMs(w.trainStep, 9), medianMs(w.infer, 9)] as const;
setBackend('js');
const seedJs = [medianMs(w.trainStep, 3, 1), medianMs(w.infer, 3, 1)] as const;
setBackend('native');
process.stderr.write(
  `bench: measuring training memory in fresh processes (${fmt((performance.now() - startedAt) / 1e3, 0)} s)…\n`,
);
seedRow(`kioku-native (${threads} threads)`, ...seedNativeN, kiokuMemory('native', threads, MEM_STEPS));
seedRow('kioku-native (1 thread)', ...seedNative1, kiokuMemory('native', 1, MEM_STEPS));
seedRow('kioku-js', ...seedJs, kiokuMemory('js', 1, MEM_STEPS));
for (const r of torch)
  say(
    `| PyTorch ${r.torch} (${r.threads}t) | ${fmt(r.seed.train_ms)} | ${fmt((B * T) / (r.seed.train_ms / 1e3), 0)} | ${fmt((3 * seedFlopsFwd) / r.seed.train_ms / 1e6)} | ${fmt(r.seed.infer_ms)} | | | ${memCell(r.memory)} |`,
  );
say();
say(
  `Training peak memory: each backend runs ${MEM_STEPS} training steps of this workload in a fresh process; the column is the VmHWM (high-water RSS, /proc/self/status) after the steps minus the VmRSS after setup (model, optimizer, data), with the absolute VmHWM in parentheses (it includes the runtime: Node or Python with torch).`,
);
say();

// ---- without the embedding, against TensorFlow.js ----
{
  const T2 = 50;
  say(`## LSTM(128 → 64) → Linear(2) without the embedding (batch ${B}, T ${T2}, Adam): training step`);
  say();
  say('| backend | train step (ms) | tokens/s | kioku-js vs this |');
  say('|---|---|---|---|');
  const plain = seedWorkload(B, T2, false);
  setBackend('native');
  const nativeMs = medianMs(plain.trainStep, 9);
  const native1Ms = withThreads(1, () => medianMs(plain.trainStep, 9));
  setBackend('js');
  const jsMs = medianMs(plain.trainStep, 3, 1);
  setBackend('native');
  process.stderr.write('bench: running TensorFlow.js (cpu)…\n');
  const tf = await tfjsLstmStep(B, T2, 3);
  const tok = (ms: number) => fmt((B * T2) / (ms / 1e3), 0);
  say(`| kioku-native (${threads} threads) | ${fmt(nativeMs)} | ${tok(nativeMs)} | |`);
  say(`| kioku-native (1 thread) | ${fmt(native1Ms)} | ${tok(native1Ms)} | |`);
  say(`| kioku-js | ${fmt(jsMs)} | ${tok(jsMs)} | |`);
  say(
    tf
      ? `| TensorFlow.js ${tf.version} (cpu backend) | ${fmt(tf.trainMs)} | ${tok(tf.trainMs)} | ${fmt(tf.trainMs / jsMs, 2)}× |`
      : '| TensorFlow.js | not installed | | |',
  );
  say();
}

// ---- large shapes and streaming ----
say('## Large shapes and streaming (kioku-native)');
say();
say('| workload | kioku-native | GFLOP/s | % of peak | PyTorch best |');
say('|---|---|---|---|---|');
{
  const lstm = new LSTM({ inputSize: 512, hiddenSize: 512, generator: new Generator(1) });
  const x = randn([50, 128, 512], { generator: new Generator(2) });
  const g = ones([50, 128, 512]);
  const step = () => {
    lstm.zeroGrad();
    const [out] = lstm.forward(x);
    out.backward(g);
  };
  const flops = 3 * 2 * 50 * 128 * 2048 * 1024;
  const t = bestOf(torch, (r) => r.large_train_ms);
  for (const [n, peak] of [
    [threads, peakN],
    [1, peak1],
  ] as const) {
    const ms = withThreads(n, () => medianMs(step, 3, 1));
    say(
      `| LSTM(512, 512), T 50, B 128: forward + backward, ${n} thread(s) | ${fmt(ms)} ms | ${fmt(flops / ms / 1e6)} | ${fmt((100 * flops) / ms / 1e6 / peak, 0)}% | ${t ? `${fmt(t.value)} ms (${t.threads}t)` : '—'} |`,
    );
  }
}
{
  const lstm = new LSTM({ inputSize: 128, hiddenSize: 64, generator: new Generator(3) });
  const x = randn([1, 1, 128], { generator: new Generator(4) });
  let state: [Tensor, Tensor] = [zeros([1, 1, 64]), zeros([1, 1, 64])];
  const step = () => {
    noGrad(() => {
      state = lstm.forward(x, state)[1];
    });
  };
  for (let i = 0; i < 500; i++) step();
  const n = 5000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) step();
  const layerUs = ((performance.now() - t0) / n) * 1e3;
  // The fused kernel alone, as a streaming caller holding its buffers would run it.
  const fwd = kernelFor('lstmForward', 'native')!;
  const r = (k: number) => Float32Array.from({ length: k }, () => gen.uniform(-0.1, 0.1));
  const [xs, wIh, wHh, bias, h, c] = [r(128), r(256 * 128), r(256 * 64), r(256), r(64), r(64)];
  const [out, hN, cN, gates, cells] = [r(64), r(64), r(64), r(256), r(64)];
  const kernelStep = () =>
    fwd(1, 1, 128, 64, 0, xs, wIh, wHh, null, bias, bias, h, c, null, false, out, hN, cN, gates, cells, null);
  for (let i = 0; i < 1000; i++) kernelStep();
  const t1 = performance.now();
  for (let i = 0; i < n * 4; i++) kernelStep();
  const kernelUs = ((performance.now() - t1) / (n * 4)) * 1e3;
  const t = bestOf(torch, (res) => res.stream_us);
  say(
    `| batch-1 streaming step, LSTM(128, 64): fused kernel / LSTM module | ${fmt(kernelUs, 2)} µs / ${fmt(layerUs, 1)} µs | | | ${t ? `${fmt(t.value, 1)} µs (${t.threads}t)` : '—'} |`,
  );
}
say();

// ---- sweep ----
{
  interface Timing {
    ms: number;
    threads: number;
  }
  interface Row {
    c: SweepConfig;
    train: Timing;
    infer: Timing;
    js: { train: number; infer: number } | null;
  }
  const faster = (a: Timing, b: Timing) => (a.ms <= b.ms ? a : b);
  const rows: Row[] = [];
  for (const c of sweep) {
    process.stderr.write(
      `bench: sweep ${configKey(c)} (${fmt((performance.now() - startedAt) / 1e3, 0)} s)…\n`,
    );
    const w = sweepWorkload(c);
    setBackend('native');
    const timeAt = (n: number, fn: () => void): Timing => ({
      ms: withThreads(n, () => medianMs(fn, c.reps, c.warmup)),
      threads: n,
    });
    let train = timeAt(threads, w.trainStep);
    let infer = timeAt(threads, w.infer);
    if (threads > 1) {
      train = faster(train, timeAt(1, w.trainStep));
      infer = faster(infer, timeAt(1, w.infer));
    }
    let js: Row['js'] = null;
    if (jsRuns(c)) {
      setBackend('js');
      js = { train: medianMs(w.trainStep, 3, 1), infer: medianMs(w.infer, 3, 1) };
      setBackend('native');
    }
    rows.push({ c, train, infer, js });
  }
  const peakFor = (n: number) => (n === 1 ? peak1 : peakN);
  const table = (what: 'train' | 'infer') => {
    say(
      '| cell | H | B | T | kioku-native (ms) | tokens/s | GFLOP/s | % of peak | kioku-js (ms) | PyTorch best (ms) | PyTorch tokens/s | vs PyTorch |',
    );
    say('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const { c, train, infer, js } of rows) {
      const t = what === 'train' ? train : infer;
      const flops = what === 'train' ? trainFlops(c) : forwardFlops(c);
      const tokens = c.batch * c.steps;
      const gf = flops / t.ms / 1e6;
      const p = bestOf(torch, (r) => r.sweep[configKey(c)]![what === 'train' ? 'train_ms' : 'infer_ms']);
      const torchCells = p
        ? `${fmt(p.value)} (${p.threads}t) | ${fmt(tokens / (p.value / 1e3), 0)} | ${fmt(p.value / t.ms, 2)}×`
        : '— | — | —';
      say(
        `| ${c.cell} | ${c.hidden} | ${c.batch} | ${c.steps} | ${fmt(t.ms)} (${t.threads}t) | ${fmt(tokens / (t.ms / 1e3), 0)} | ${fmt(gf)} | ${fmt((100 * gf) / peakFor(t.threads), 0)}% | ${js ? fmt(what === 'train' ? js.train : js.infer) : '–'} | ${torchCells} |`,
      );
    }
    say();
  };
  say(
    `## Sweep (${sweepMode === 'full' ? 'full grid: `--sweep full`' : 'reduced; `npm run bench -- --sweep full` runs all 81 configurations'})`,
  );
  say();
  say(
    'Workload: one layer of the cell, input size E = H, on random time-major (T, B, H) features → Linear(H, 2) on the last step\'s output → cross-entropy; the training step is forward + backward + Adam(1e-3), inference is the forward without autograd. No embedding. PyTorch runs the same model (bench/torch_bench.py). kioku-native and PyTorch: the faster of their thread settings, named in parentheses. GFLOP/s counts the recurrent layer only: 2·T·B·G·H·(E + H) forward (G = 4 LSTM, 3 GRU, 1 RNN), 3× that for a training step; % of peak is against the measured FMA peak for the thread count used. "vs PyTorch" is PyTorch\'s time over kioku-native\'s (> 1: kioku is faster). kioku-js runs only the configurations with at most 2 GFLOP per training step ("–" elsewhere).',
  );
  say();
  say('### Training step');
  say();
  table('train');
  say('### Inference');
  say();
  table('infer');
}

say(
  `Run time of this command: ${fmt((performance.now() - startedAt) / 60e3)} min; load average at the end: ${loadavg()
    .map((v) => v.toFixed(1))
    .join(', ')}.`,
);

const target = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
writeFileSync(target, `${lines.join('\n')}\n`);
process.stderr.write(`bench: wrote ${target}\n`);
