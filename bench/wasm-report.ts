/*
 * The WebAssembly section of `npm run bench`: runs bench/wasm.ts in a child Node per build (relaxed
 * SIMD needs --experimental-wasm-relaxed-simd in Node 20), in rounds that alternate the builds so
 * both see the same load, and writes the medians beside the native, JS, PyTorch and TensorFlow.js
 * figures of the same run, against the targets the backend was built for.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { configKey, type SweepConfig } from './sweep.js';
import { medianOfRounds } from './wasm-time.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface WasmBench {
  flavor: string;
  /** GFLOP/s by 'MxKxN', through the backend (the marshal's copies in and out included). */
  gemm: Record<string, number>;
  /** The same on arrays already in the module's linear memory (bench/wasm-micro.ts). */
  gemmInMemory?: Record<string, number>;
  /** The seed classifier: medians, and the first training step of a fresh load. */
  seed: { trainMs: number; inferMs: number; firstStepMs: number };
  /**
   * The seed's LSTM without the embedding, at T 50 (the TensorFlow.js comparison's shape); the
   * training step in wall time too, as TensorFlow.js's is measured.
   */
  plain: { trainMs: number; trainWallMs: number; inferMs: number };
  /** Training and inference ms by sweep key (bench/sweep.ts's configKey); measured in one round. */
  sweep: Record<string, { trainMs: number; inferMs: number }>;
}

export const WASM_GEMMS = [
  [6400, 128, 256],
  [32, 64, 256],
  [512, 512, 512],
] as const;

export interface WasmThreadTimes {
  /** Wall-time GFLOP/s by 'MxKxN'. */
  gemm: Record<string, number>;
  trainMs: number;
  inferMs: number;
}
/** bench/wasm-threads.ts: the one-thread and the two-thread build in wall time, interleaved. */
export interface WasmThreadBench {
  rounds: number;
  load: [number, number];
  one: WasmThreadTimes;
  two: WasmThreadTimes;
  /** Each figure's best round, per build. */
  best: { one: WasmThreadTimes; two: WasmThreadTimes };
}

export const THREAD_GEMMS = [
  [6400, 128, 256],
  [512, 512, 512],
] as const;

/** The sweep shapes the wasm rows compare with native (hidden 256 and 512). */
export const WASM_SWEEP: readonly SweepConfig[] = [
  { cell: 'LSTM', hidden: 256, batch: 32, steps: 200, reps: 3, warmup: 1 },
  { cell: 'LSTM', hidden: 512, batch: 128, steps: 50, reps: 3, warmup: 1 },
];

/** One run of one build (with the sweep when `sweep`), or why it could not be taken. */
function runWasmOnce(relaxed: boolean, sweep: boolean): WasmBench | { error: string } {
  const flags = relaxed ? ['--experimental-wasm-relaxed-simd'] : [];
  try {
    const out = execFileSync(
      process.execPath,
      [...flags, '--import', 'tsx', 'bench/wasm.ts', ...(sweep ? ['sweep'] : [])],
      {
        cwd: root,
        encoding: 'utf8',
        // One thread: these rows are the one-thread builds' (bench/wasm-threads.ts compares two).
        env: { ...process.env, KIOKU_BACKEND: '', KIOKU_NUM_THREADS: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return JSON.parse(out.trim().split('\n').pop()!) as WasmBench;
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0]! };
  }
}

/**
 * Both builds, SIMD128 then relaxed, `rounds` times over (the sweep in the first round only): the
 * median of every figure per build, or why a build could not run.
 */
export function runWasmBenches(rounds: number): (WasmBench | { error: string })[] {
  const runs: (WasmBench | { error: string })[][] = [[], []];
  for (let r = 0; r < rounds; r++)
    for (const relaxed of [false, true]) {
      const run = runWasmOnce(relaxed, r === 0);
      runs[Number(relaxed)]!.push(run);
      process.stderr.write(`bench:wasm: round ${r + 1}, ${relaxed ? 'relaxed' : 'simd128'} done\n`);
    }
  return runs.map((list) => {
    const failed = list.find((x) => 'error' in x);
    return failed ?? medianOfRounds(list as WasmBench[]);
  });
}

/** bench/wasm-threads.ts's interleaved comparison of the builds, or why it could not run. */
export function runWasmThreadBench(rounds: number): WasmThreadBench | { error: string } {
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/wasm-threads.ts', String(rounds)], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, KIOKU_BACKEND: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(out.trim().split('\n').pop()!) as WasmThreadBench;
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0]! };
  }
}

/** The two-thread rows: wall time, the builds interleaved in one process. */
export function threadTable(say: (s?: string) => void, t: WasmThreadBench | { error: string }): void {
  if ('error' in t) {
    say(`The two-thread comparison failed: ${t.error}`);
    return;
  }
  say(
    `Two threads (\`native/wasm/kioku-simd128-threads.wasm\`: shared memory, one worker_threads worker; bench/wasm-threads.ts): wall time, since CPU time adds the threads up, so these rows move with the machine's load (load average ${fmt(t.load[0])} before, ${fmt(t.load[1])} after). One process loads the one-thread and the threaded build in turn, ${t.rounds} rounds; each figure is the median over rounds of a round's median (15 GEMMs after 10 warm-up, 7 steps after 2), and the best round's, nearest what an idle machine gives. Only the large products are split (A's row blocks or C's columns, never k, so the results are the one-thread build's bytes); the recurrent steps, the gate loops and the rest of a step stay on the calling thread. Target (the issue): two threads ≥ 1.6× one thread on the large SGEMMs.`,
  );
  say();
  say(
    '| SIMD128, wall time | one thread | two threads | speed-up | best round: one, two, speed-up | target |',
  );
  say('|---|---|---|---|---|---|');
  const row = (
    name: string,
    one: number,
    two: number,
    b1: number,
    b2: number,
    faster: 'higher' | 'lower',
    target: boolean,
  ) => {
    const up = (x: number, y: number) => (faster === 'higher' ? y / x : x / y);
    const goal = target ? ` ${mark(up(one, two) >= 1.6)}` : '';
    say(
      `| ${name} | ${fmt(one)} | ${fmt(two)} | ${fmt(up(one, two), 2)}×${goal} | ${fmt(b1)}, ${fmt(b2)}, ${fmt(up(b1, b2), 2)}× | ${target ? '≥ 1.6×' : ''} |`,
    );
  };
  for (const [m, k, n] of THREAD_GEMMS) {
    const key = `${m}x${k}x${n}`;
    const [o, b] = [t.best.one.gemm[key]!, t.best.two.gemm[key]!];
    row(`SGEMM ${m}×${k}·${k}×${n} (GFLOP/s)`, t.one.gemm[key]!, t.two.gemm[key]!, o, b, 'higher', true);
  }
  for (const [label, key] of [
    ['seed training step (ms)', 'trainMs'],
    ['seed inference (ms)', 'inferMs'],
  ] as const) {
    row(label, t.one[key], t.two[key], t.best.one[key], t.best.two[key], 'lower', false);
  }
}

interface Timing {
  trainMs: number;
  inferMs: number;
}

export interface WasmReportInput {
  runs: (WasmBench | { error: string })[];
  /** How many child runs per build the medians are over. */
  rounds: number;
  /** Whether the native and JS figures are CPU time too (bench:wasm), or wall time (bench). */
  kiokuCpuTime: boolean;
  /** Native GEMM GFLOP/s on one thread by 'MxKxN', from the GEMM table. */
  gemmNative1: Record<string, number>;
  seed: {
    native1: readonly [number, number];
    js: readonly [number, number];
    torchTrain: { value: number } | null;
    torchInfer: { value: number } | null;
  };
  /** TensorFlow.js wasm's training step on the LSTM without the embedding (B 32, T 50), ms. */
  tfWasmPlainTrainMs: number | null;
  /** Native sweep timings (its faster thread setting) by configKey. */
  nativeSweep: Record<string, Timing & { threads: number }>;
  /** The two-thread comparison; run here (5 rounds) when not given. */
  threads?: WasmThreadBench | { error: string };
}

const fmt = (v: number, digits = 1) => v.toFixed(digits);
const mark = (ok: boolean) => (ok ? '✓' : '✗');

export function wasmSection(say: (s?: string) => void, r: WasmReportInput): void {
  say('## WebAssembly backend');
  say();
  say(
    `The native kernels compiled for WebAssembly (\`native/wasm/\`, clang-19, no Emscripten), run by Node in a child process per build (bench/wasm.ts): SIMD128, and relaxed SIMD (fused multiply-add) with \`--experimental-wasm-relaxed-simd\`. Arguments are copied into the module and results back on every call; the times include the copies (in parentheses, the SGEMM on arrays already in the module's linear memory: the kernels without the copies; the targets are checked on the figure with them). These rows are the one-thread builds (the two-thread build's rows follow, in wall time). The one-thread rows are CPU time, not wall time: on this shared machine wall time counts the waits for a core (up to 3× the CPU time at load average 10) and moved them by up to 1.6× between runs; CPU time moves less, but under heavy load it too moves by a fifth or more between runs, and by as much within one run on work that never changes: bench/wasm-spread.ts times the SGEMM in linear memory beside a fixed scalar JS loop sample after sample, and at load average 14 the loop's CPU time spread 1.86× (max/min) and the SGEMM's 1.72×, their speeds rising and falling together (correlation 0.46). The spread is the shared virtual machine's (a CPU-second of a vCPU does not always do the same work), not the module's: no memory growth, copy, collection or tier-up happens between those samples. Each WebAssembly figure is the median of ${r.rounds} child runs per build, the builds alternating (hidden 256 and 512: the first run only); within a run, the median of 9 after 3 warm-up steps or 20 warm-up GEMMs, past V8's tier-up from baseline to optimized code (bench/wasm-tierup.ts: by the second call). "First step" is the first training step of a fresh load. ${r.kiokuCpuTime ? 'kioku-native (one thread throughout) and kioku-js are CPU time too; PyTorch and TensorFlow.js are wall time.' : 'kioku-native, kioku-js, PyTorch and TensorFlow.js are wall time.'} Targets are those the backend was built for; ✓ met, ✗ missed in this run.`,
  );
  say();
  const runs = r.runs.filter((x): x is WasmBench => !('error' in x));
  for (const x of r.runs) if ('error' in x) say(`A WebAssembly run failed: ${x.error}`);
  if (runs.length === 0) return;
  const head = runs.map((x) => x.flavor).join(' | ');
  const cols = runs.map(() => '---').join('|');
  const target = (flavor: string, simd: number, relaxed: number) => (flavor === 'relaxed' ? relaxed : simd);

  say(`| SGEMM (GFLOP/s) | ${head} | kioku-native 1 thread | target |`);
  say(`|---|${cols}|---|---|`);
  for (const [m, k, n] of WASM_GEMMS) {
    const key = `${m}x${k}x${n}`;
    const seedShape = key === '6400x128x256';
    const cells = runs.map((x) => {
      const g = x.gemm[key]!;
      const inMemory = x.gemmInMemory?.[key];
      return `${fmt(g)}${seedShape ? ` ${mark(g >= target(x.flavor, 35, 45))}` : ''}${inMemory ? ` (${fmt(inMemory)} in memory)` : ''}`;
    });
    say(
      `| ${m}×${k}·${k}×${n} | ${cells.join(' | ')} | ${fmt(r.gemmNative1[key] ?? 0)} | ${seedShape ? '≥ 35 SIMD128, ≥ 45 relaxed' : ''} |`,
    );
  }
  say();

  const [nativeTrain, nativeInfer] = r.seed.native1;
  const tok = (ms: number) => fmt((32 * 200) / (ms / 1e3), 0);
  say(
    `| seed classifier (B 32, T 200) | ${head} | kioku-native 1 thread | kioku-js | PyTorch best | target |`,
  );
  say(`|---|${cols}|---|---|---|---|`);
  const torchT = r.seed.torchTrain ? fmt(r.seed.torchTrain.value) : '—';
  const torchI = r.seed.torchInfer ? fmt(r.seed.torchInfer.value) : '—';
  const trainCells = runs.map(
    (x) => `${fmt(x.seed.trainMs)} ${mark(x.seed.trainMs <= target(x.flavor, 100, 80))}`,
  );
  say(
    `| training step (ms) | ${trainCells.join(' | ')} | ${fmt(nativeTrain)} | ${fmt(r.seed.js[0])} | ${torchT} | ≤ 100 SIMD128, ≤ 80 relaxed |`,
  );
  say(
    `| training tokens/s | ${runs.map((x) => tok(x.seed.trainMs)).join(' | ')} | ${tok(nativeTrain)} | ${tok(r.seed.js[0])} | | |`,
  );
  say(
    `| first training step of a fresh load (ms) | ${runs.map((x) => fmt(x.seed.firstStepMs)).join(' | ')} | | | | |`,
  );
  const inferCells = runs.map((x) => `${fmt(x.seed.inferMs)} ${mark(x.seed.inferMs <= 25)}`);
  say(
    `| inference (ms) | ${inferCells.join(' | ')} | ${fmt(nativeInfer)} | ${fmt(r.seed.js[1])} | ${torchI} | ≤ 25 |`,
  );
  say();

  const tf = r.tfWasmPlainTrainMs;
  const plainCells = runs.map((x) => {
    if (tf === null) return `${fmt(x.plain.trainMs)} ms`;
    const ratio = tf / x.plain.trainWallMs;
    return `${fmt(x.plain.trainMs)} ms CPU, ${fmt(x.plain.trainWallMs)} ms wall: ${fmt(ratio)}× TF.js wasm ${mark(ratio >= 10)}`;
  });
  say(`| LSTM(128 → 64) without the embedding (B 32, T 50), training | ${head} | target |`);
  say(`|---|${cols}|---|`);
  say(
    `| step, and tokens/s against TensorFlow.js's wasm backend in this run (wall time against wall time) | ${plainCells.join(' | ')} | ≥ 10× |`,
  );
  say();

  say(`| training step, % of kioku-native's speed | ${head} | kioku-native (ms) |`);
  say(`|---|${cols}|---|`);
  for (const c of WASM_SWEEP) {
    const key = configKey(c);
    const nat = r.nativeSweep[key];
    const cells = runs.map((x) => {
      const w = x.sweep[key]!;
      return nat
        ? `${fmt(w.trainMs)} ms (${fmt((100 * nat.trainMs) / w.trainMs, 0)}%)`
        : `${fmt(w.trainMs)} ms`;
    });
    say(
      `| ${c.cell} H ${c.hidden}, B ${c.batch}, T ${c.steps} | ${cells.join(' | ')} | ${nat ? `${fmt(nat.trainMs)} (${nat.threads}t)` : '—'} |`,
    );
  }
  say();
  threadTable(say, r.threads ?? runWasmThreadBench(5));
  say();
}
