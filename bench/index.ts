/*
 * kioku's benchmark: `npm run bench [-- --sweep full]`. Prints a markdown report and writes it to
 * BENCHMARKS.md. GEMM, the seed's LSTM classifier (vocab 5000, embed 128, hidden 64, batch 32,
 * 200 tokens, Adam) with its training memory, and a sweep of LSTM/GRU/RNN shapes (a reduced one by
 * default, all 27 shapes per cell with `--sweep full`) for kioku-js and kioku-native, next to
 * PyTorch (bench/torch_bench.py), TensorFlow.js (cpu and wasm backends, bench/tfjs.ts) and brain.js
 * (bench/brain.ts) in the same run, with the machine's measured FMA peak; the WebAssembly backend
 * (SIMD128 and relaxed SIMD) runs in child processes (bench/wasm.ts). Every time is the median of
 * several runs after warm-up, except where a row says otherwise.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { nativeBackend } from '../src/backend/native/index.js';
import { threadCount } from '../src/backend/native/loader.js';
import { kernelFor, setBackend } from '../src/backend/registry.js';
import { LSTM } from '../src/nn/rnn.js';
import { Generator } from '../src/tensor/random.js';
import { randn } from '../src/tensor/random-tensors.js';
import { ones } from '../src/tensor/tensor.js';
import { brainLstmTimeStep, type NextStepShape, nextStepWorkload } from './brain.js';
import { kiokuMemory, type PeakMemory, peakAboveSetupMiB } from './memory-probe.js';
import { peakProbe } from './peak.js';
import { writeKeepingSections, writeSection } from './sections.js';
import { seedWorkload } from './seed.js';
import { medianMs, repsFor } from './stats.js';
import { streamingStep } from './streaming.js';
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
import { type TfjsBackend, type TfjsRun, type TfjsTiming, tfjsLstm } from './tfjs.js';
import { bestOf, runTorch, type TorchResult } from './torch.js';
import { runWasmBenches, wasmSection } from './wasm-report.js';

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
const peakGflops = peakProbe(native.info().isa);
const peak1 = peakGflops(1, 0.5);
const peakN = peakGflops(threads, 0.5);

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
const gemmNative1: Record<string, number> = {};
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
  gemmNative1[`${m}x${k}x${n}`] = gf(n1Ms);
  const t = bestOf(torch, (r) => r.gemm[`${m}x${k}x${n}`]!);
  const torchCell = t ? `${fmt(gf(t.value))} GFLOP/s (${t.threads}t)` : '—';
  const best = Math.max(gf(n1Ms) / peak1, gf(nNMs) / peakN);
  say(
    `| ${m}×${k}·${k}×${n} | ${fmt(gf(jsMs))} GFLOP/s | ${fmt(gf(n1Ms))} GFLOP/s | ${fmt(gf(nNMs))} GFLOP/s | ${fmt(100 * best, 0)}% | ${torchCell} |`,
  );
}
say();

// ---- TensorFlow.js cells ----
const gflops = (v: number) => fmt(v, v < 0.1 ? 3 : 1);

function tfLabel(backend: TfjsBackend, run: TfjsRun): string {
  return `TensorFlow.js ${run.version}, ${backend} backend (${run.setup})`;
}

function runsNote(t: { timed: number; warmup: number }): string {
  return `${t.timed === 1 ? 'one run' : `median of ${t.timed}`}${t.warmup ? '' : ', no warm-up'}`;
}

/** A TF.js time in ms, with how it was taken when it is not a median, or the error that stopped it. */
function tfCell(t: TfjsTiming): string {
  if ('error' in t) return `cannot run: ${t.error}`;
  return t.timed === 1 ? `${fmt(t.ms)} (${runsNote(t)})` : fmt(t.ms);
}

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
const seedJs = [medianMs(w.trainStep, 5, 2), medianMs(w.infer, 5, 2)] as const;
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
process.stderr.write('bench: running TensorFlow.js on the seed workload (wasm, then cpu)…\n');
// The cpu backend's embedding gradient (UnsortedSegmentSum) loops over all 5000 rows, each pass over
// the whole (B·T, 128) gradient: one step at T 200 would take many minutes, so it trains at T 2, once.
const tfSeed: [TfjsBackend, TfjsRun | null][] = [
  [
    'wasm',
    await tfjsLstm(
      'wasm',
      { B, vocab: 5000, infer: { T, reps: 3, warmup: 1 }, train: { T, reps: 3, warmup: 1 } },
      threads,
    ),
  ],
  [
    'cpu',
    await tfjsLstm(
      'cpu',
      { B, vocab: 5000, infer: { T, reps: 1, warmup: 1 }, train: { T: 2, reps: 1, warmup: 0 } },
      threads,
    ),
  ],
];
for (const [name, run] of tfSeed) {
  if (!run || run.unavailable) {
    say(`| TensorFlow.js, ${name} backend | ${run?.unavailable ?? 'not installed'} | | | | | | |`);
    continue;
  }
  const train = run.train!;
  const trainCells =
    'error' in train
      ? `cannot train: ${train.error} | — | —`
      : `${fmt(train.ms)}${train.T === T ? '' : ` (T ${train.T}: ${runsNote(train)}; T ${T} not run)`} | ${fmt((B * train.T) / (train.ms / 1e3), 0)} | ${gflops((3 * 2 * train.T * B * 4 * 64 * (128 + 64)) / train.ms / 1e6)}`;
  say(`| ${tfLabel(name, run)} | ${trainCells} | ${tfCell(run.infer!)} | | | — |`);
}
say();
{
  // kioku-js against each TF.js backend: time ratios, or a tokens/s ratio where TF.js ran a shorter T.
  const jsTok = (B * T) / (seedJs[0] / 1e3);
  const parts = tfSeed.flatMap(([name, run]) => {
    if (!run || run.unavailable) return [];
    const train = run.train!;
    const infer = run.infer!;
    const trainPart =
      'error' in train
        ? 'training: TensorFlow.js cannot train it'
        : train.T === T
          ? `training ${fmt(train.ms / seedJs[0], 1)}×`
          : `training ${fmt(jsTok / ((B * train.T) / (train.ms / 1e3)), 0)}× in tokens/s against its T ${train.T} step`;
    const inferPart =
      'error' in infer
        ? 'inference: TensorFlow.js cannot run it'
        : `inference ${fmt(infer.ms / seedJs[1], 1)}×`;
    return [`${name} backend: ${trainPart}, ${inferPart}`];
  });
  if (parts.length > 0) {
    say(
      `kioku-js against TensorFlow.js on this workload (TensorFlow.js's time over kioku-js's): ${parts.join('; ')}. TensorFlow.js builds the same model with tf.layers (Embedding → LSTM → Dense, Adam 1e-3, softmax cross-entropy, trainOnBatch; bench/tfjs.ts).`,
    );
    say();
  }
}
say(
  `Training peak memory: each backend runs ${MEM_STEPS} training steps of this workload in a fresh process; the column is the VmHWM (high-water RSS, /proc/self/status) after the steps minus the VmRSS after setup (model, optimizer, data), with the absolute VmHWM in parentheses (it includes the runtime: Node or Python with torch).`,
);
say();

// ---- without the embedding, against TensorFlow.js ----
let tfWasmPlainTrainMs: number | null = null;
{
  const T2 = 50;
  say(`## LSTM(128 → 64) → Linear(2) without the embedding (batch ${B}, T ${T2}, Adam)`);
  say();
  say(
    '| backend | train step (ms) | tokens/s | inference (ms) | kioku-js vs this: train / inference | kioku-native vs this: train / inference |',
  );
  say('|---|---|---|---|---|---|');
  const plain = seedWorkload(B, T2, false);
  setBackend('native');
  const nativeMs = [medianMs(plain.trainStep, 9), medianMs(plain.infer, 9)] as const;
  const native1Ms = withThreads(1, () => [medianMs(plain.trainStep, 9), medianMs(plain.infer, 9)] as const);
  setBackend('js');
  const jsMs = [medianMs(plain.trainStep, 7, 3), medianMs(plain.infer, 7, 3)] as const;
  setBackend('native');
  process.stderr.write('bench: running TensorFlow.js without the embedding (wasm, then cpu)…\n');
  const plan = { T: T2, reps: 3, warmup: 1 };
  const tfRuns: [TfjsBackend, TfjsRun | null][] = [
    ['wasm', await tfjsLstm('wasm', { B, vocab: 0, train: plan, infer: plan }, threads)],
    ['cpu', await tfjsLstm('cpu', { B, vocab: 0, train: plan, infer: plan }, threads)],
  ];
  const tfWasmTrain = tfRuns[0]![1]?.train;
  if (tfWasmTrain && !('error' in tfWasmTrain)) tfWasmPlainTrainMs = tfWasmTrain.ms;
  const tok = (ms: number) => fmt((B * T2) / (ms / 1e3), 0);
  const kiokuRow = (label: string, [train, infer]: readonly [number, number]) =>
    say(`| ${label} | ${fmt(train)} | ${tok(train)} | ${fmt(infer)} | | |`);
  kiokuRow(`kioku-native (${threads} threads)`, nativeMs);
  kiokuRow('kioku-native (1 thread)', native1Ms);
  kiokuRow('kioku-js', jsMs);
  const fastest = [Math.min(nativeMs[0], native1Ms[0]), Math.min(nativeMs[1], native1Ms[1])] as const;
  for (const [name, run] of tfRuns) {
    if (!run || run.unavailable) {
      say(`| TensorFlow.js, ${name} backend | ${run?.unavailable ?? 'not installed'} | | | | |`);
      continue;
    }
    const train = run.train!;
    const infer = run.infer!;
    const ratio = (ours: readonly [number, number]) => {
      const r = (t: TfjsTiming, i: 0 | 1) => ('error' in t ? '—' : `${fmt(t.ms / ours[i], 2)}×`);
      return `${r(train, 0)} / ${r(infer, 1)}`;
    };
    const trainCells = 'error' in train ? `${train.error} | —` : `${fmt(train.ms)} | ${tok(train.ms)}`;
    say(`| ${tfLabel(name, run)} | ${trainCells} | ${tfCell(infer)} | ${ratio(jsMs)} | ${ratio(fastest)} |`);
  }
  say();
  say(
    `TensorFlow.js runs the same model with tf.layers (LSTM(64) → Dense(2), Adam 1e-3, softmax cross-entropy, trainOnBatch; inference is predict plus reading the logits back; bench/tfjs.ts). "vs this" is TensorFlow.js's time over kioku's (> 1: kioku is faster); kioku-native's is its faster thread setting. Under Node, TensorFlow.js's wasm backend reports no WebAssembly multithreading (its WASM_HAS_MULTITHREAD_SUPPORT flag is false in Node, and forcing it fails to start the worker threads), so it runs its SIMD build on one thread whatever setThreadsCount asks; the row shows what getThreadsCount() reported.`,
  );
  say();
}

// ---- brain.js: one sequence at a time ----
{
  const shapes: NextStepShape[] = [
    { T: 50, E: 128, H: 64 },
    { T: 50, E: 1, H: 64 },
  ];
  const BATCH = 32;
  say(
    '## Against brain.js: LSTM(E → 64) → Linear(64 → E) next-step regression, T 50, one sequence at a time',
  );
  say();
  say(
    `brain.js (\`recurrent.LSTMTimeStep\`) trains one sequence per step and has no embedding or classifier head; the closest model it expresses predicts the next E-vector of a sequence at every step. kioku runs the same model (bench/brain.ts): LSTM(E → 64) → Linear(64 → E) at every step, squared error, gradient values clipped at 5, RMSprop(lr 0.01, decay 0.999), as brain.js's defaults; on random sequences. brain.js's time is a median of \`train(4 sequences, { iterations: 1 })\` calls over 4. The batch-1 rows do what brain.js does; the batch-${BATCH} rows are kioku's throughput on ${BATCH} sequences per step, a different (batched) training schedule, shown for scale. "vs brain.js" compares tokens/s.`,
  );
  say();
  say('| E | backend | sequences per step | train step (ms) | tokens/s | vs brain.js |');
  say('|---|---|---|---|---|---|');
  for (const shape of shapes) {
    process.stderr.write(`bench: running brain.js, E ${shape.E}…\n`);
    const brain = await brainLstmTimeStep(shape, 4, 3);
    const kioku = (backend: 'js' | 'native', batch: number) => {
      setBackend(backend);
      const step = nextStepWorkload(batch, shape);
      const ms = backend === 'native' || batch === 1 ? medianMs(step, 9) : medianMs(step, 3, 1);
      setBackend('native');
      return ms;
    };
    const brainTok = brain && 'msPerSequence' in brain ? shape.T / (brain.msPerSequence / 1e3) : null;
    const row = (label: string, batch: number, ms: number, vs = true) => {
      const tokS = (batch * shape.T) / (ms / 1e3);
      const ratio = !vs ? '' : brainTok ? `${fmt(tokS / brainTok, 1)}×` : '—';
      say(`| ${shape.E} | ${label} | ${batch} | ${fmt(ms)} | ${fmt(tokS, 0)} | ${ratio} |`);
    };
    if (!brain) say(`| ${shape.E} | brain.js | not installed | | | |`);
    else if ('error' in brain)
      say(`| ${shape.E} | brain.js ${brain.version} | failed: ${brain.error} | | | |`);
    else row(`brain.js ${brain.version}`, 1, brain.msPerSequence, false);
    row('kioku-js', 1, kioku('js', 1));
    row(`kioku-native (${threads} threads)`, 1, kioku('native', 1));
    row('kioku-js (batched)', BATCH, kioku('js', BATCH));
    row(`kioku-native (${threads} threads, batched)`, BATCH, kioku('native', BATCH));
  }
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
    // Seven runs after two warm-ups: three runs of ~1 s left the median at the mercy of one slow run.
    const ms = withThreads(n, () => medianMs(step, 7, 2));
    say(
      `| LSTM(512, 512), T 50, B 128: forward + backward, ${n} thread(s) | ${fmt(ms)} ms | ${fmt(flops / ms / 1e6)} | ${fmt((100 * flops) / ms / 1e6 / peak, 0)}% | ${t ? `${fmt(t.value)} ms (${t.threads}t)` : '—'} |`,
    );
  }
}
{
  const s = streamingStep({ backend: 'native' });
  const t = bestOf(torch, (res) => res.stream_us);
  say(
    `| batch-1 streaming step, LSTM(128, 64): fused kernel / streamer / LSTM module | ${fmt(s.kernelUs, 2)} µs / ${fmt(s.streamerUs, 2)} µs / ${fmt(s.moduleUs, 1)} µs | | | ${t ? `${fmt(t.value, 1)} µs (${t.threads}t)` : '—'} |`,
  );
}
say();

// ---- sweep ----
const nativeSweep: Record<string, { trainMs: number; inferMs: number; threads: number }> = {};
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
    nativeSweep[configKey(c)] = { trainMs: train.ms, inferMs: infer.ms, threads: train.threads };
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

// ---- WebAssembly ----
process.stderr.write('bench: running the WebAssembly backend (SIMD128, then relaxed SIMD)…\n');
// Its own section of the file (`npm run bench:wasm` rewrites it alone).
const wasmLines: string[] = [];
wasmSection(
  (line = '') => {
    wasmLines.push(line);
    console.log(line);
  },
  {
    runs: runWasmBenches(3),
    rounds: 3,
    kiokuCpuTime: false,
    gemmNative1,
    seed: { native1: seedNative1, js: seedJs, torchTrain, torchInfer },
    tfWasmPlainTrainMs,
    nativeSweep,
  },
);

say(
  `Run time of this command: ${fmt((performance.now() - startedAt) / 60e3)} min; load average at the end: ${loadavg()
    .map((v) => v.toFixed(1))
    .join(', ')}.`,
);

const target = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
writeKeepingSections(target, lines.join('\n'));
writeSection(target, 'wasm', wasmLines);
process.stderr.write(`bench: wrote ${target}\n`);
