/*
 * Where recurrent networks live: the seed model, an LSTM at hidden sizes 32, 64 and 128 with
 * batches of 1, 8 and 32, and the batch-1 streaming step, each interleaved with PyTorch: every
 * round measures kioku-native and PyTorch at 1 and 2 threads back to back, so that both see the
 * same load from other processes, and the tables give medians over rounds. Each side is timed
 * alone on the cores: before a side is timed the other has been idle for SETTLE_MS, so that
 * neither's threads still poll for work (PyTorch's 2-thread OpenBLAS worker yields in a loop for
 * 0.1–0.3 s after each request; kioku's pool workers nap-poll for 0.1 s). Standalone:
 * `npx tsx bench/small.ts [rounds]` prints the markdown section.
 */

import { readFileSync, realpathSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { nativeBackend } from '../src/backend/native/index.js';
import { setBackend } from '../src/backend/registry.js';
import { seedWorkload } from './seed.js';
import { medianMs } from './stats.js';
import { streamingStep } from './streaming.js';
import { forwardFlops, type SweepConfig, sweepWorkload } from './sweep.js';
import { type TorchRequest, TorchServer } from './torch-server.js';

const THREADS: readonly number[] = [1, 2];
/**
 * Idle time before either side is timed, in ms: longer than PyTorch's OpenBLAS worker keeps
 * polling after a request (measured 0.1–0.3 s; it stops at once with OPENBLAS_THREAD_TIMEOUT=4,
 * which would also slow PyTorch's own timing) and than kioku's pool workers nap-poll (0.1 s).
 */
const SETTLE_MS = 400;
/** The streaming rows: LSTM(128, H) stepped on an input array and on token ids. */
const STREAM_H: readonly number[] = [64, 256];
const SEED = { B: 32, T: 200, E: 128, H: 64 };
/** LSTM FLOPs of one seed training step: 3× the forward's 2·T·B·4H·(E + H). */
export const SEED_TRAIN_FLOPS = 3 * 2 * SEED.T * SEED.B * 4 * SEED.H * (SEED.E + SEED.H);

/** One row: kioku and PyTorch timings at each thread count, one entry per round. */
interface Row {
  label: string;
  kioku: Map<number, number[]>;
  torch: Map<number, number[]>;
}

const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function newRow(label: string): Row {
  return { label, kioku: new Map(), torch: new Map() };
}

function add(m: Map<number, number[]>, threads: number, v: number | undefined): void {
  if (v === undefined) return;
  if (!m.has(threads)) m.set(threads, []);
  m.get(threads)!.push(v);
}

/** The best thread setting's median: [value, threads], or null when nothing was measured. */
function best(m: Map<number, number[]>): [number, number] | null {
  let out: [number, number] | null = null;
  for (const [n, v] of m) if (v.length && (out === null || median(v) < out[0])) out = [median(v), n];
  return out;
}

/** The machine's CPU time so far from /proc/stat: [all, stolen by the hypervisor], in clock ticks. */
function cpuTicks(): [number, number] {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return [f.reduce((a, b) => a + b, 0), f[7] ?? 0];
  } catch {
    return [0, 0];
  }
}

/** The LSTM rows of the hidden-size sweep: E = H, T 100. */
function sweepConfigs(): SweepConfig[] {
  const out: SweepConfig[] = [];
  for (const hidden of [32, 64, 128])
    for (const batch of [1, 8, 32]) out.push({ cell: 'LSTM', hidden, batch, steps: 100, reps: 7, warmup: 2 });
  return out;
}

interface Plan {
  train: Row;
  infer: Row;
  kiokuTrain: () => void;
  kiokuInfer: () => void;
  request: TorchRequest;
  reps: number;
}

function plans(): Plan[] {
  const seed = seedWorkload(SEED.B, SEED.T);
  const out: Plan[] = [
    {
      train: newRow('seed training step'),
      infer: newRow('seed inference'),
      kiokuTrain: seed.trainStep,
      kiokuInfer: seed.infer,
      request: { seed: true, reps: 7, warmup: 2 },
      reps: 7,
    },
  ];
  for (const c of sweepConfigs()) {
    const w = sweepWorkload(c);
    const label = `H ${c.hidden}, B ${c.batch}`;
    out.push({
      train: newRow(label),
      infer: newRow(label),
      kiokuTrain: w.trainStep,
      kiokuInfer: w.infer,
      request: {
        cell: c.cell,
        hidden: c.hidden,
        batch: c.batch,
        steps: c.steps,
        reps: c.reps,
        warmup: c.warmup,
      },
      reps: c.reps,
    });
  }
  return out;
}

export interface SmallResult {
  torchVersion: string | null;
  rounds: number;
  plans: Plan[];
  stream: Row[];
  loadBefore: number[];
  loadAfter: number[];
  /** The share of the machine's CPU time the hypervisor took during the run (steal), in %. */
  stealPct: number;
}

/** Runs `rounds` interleaved rounds; init(n) sets kioku's thread count. */
export async function runSmall(rounds: number, init: (threads: number) => void): Promise<SmallResult> {
  const servers = (await Promise.all(THREADS.map((n) => TorchServer.start(n)))).filter(
    (s): s is TorchServer => s !== null,
  );
  const loadBefore = loadavg();
  const ticksBefore = cpuTicks();
  const all = plans();
  const stream = STREAM_H.flatMap((H) => [
    newRow(`LSTM(128, ${H}) step(x)`),
    newRow(`LSTM(128, ${H}) stepTokens`),
  ]);
  try {
    for (let r = 0; r < rounds; r++) {
      process.stderr.write(`bench/small: round ${r + 1} of ${rounds}\n`);
      for (const p of all) {
        await sleep(SETTLE_MS);
        for (const n of THREADS) {
          init(n);
          add(p.train.kioku, n, medianMs(p.kiokuTrain, p.reps, 2));
          add(p.infer.kioku, n, medianMs(p.kiokuInfer, p.reps, 2));
        }
        for (const s of servers) {
          await sleep(SETTLE_MS);
          const a = await s.request(p.request);
          add(p.train.torch, s.threads, a.train_ms);
          add(p.infer.torch, s.threads, a.infer_ms);
        }
      }
      for (const [i, H] of STREAM_H.entries())
        await streamRound(stream[2 * i]!, stream[2 * i + 1]!, H, servers, init);
    }
  } finally {
    for (const s of servers) s.close();
    init(Math.max(...THREADS));
  }
  const ticksAfter = cpuTicks();
  const total = ticksAfter[0] - ticksBefore[0];
  return {
    torchVersion: servers[0]?.version ?? null,
    rounds,
    plans: all,
    stream,
    loadBefore,
    loadAfter: loadavg(),
    stealPct: total > 0 ? (100 * (ticksAfter[1] - ticksBefore[1])) / total : 0,
  };
}

/** One round of the batch-1 rows at hidden size H: kioku's step(x) and stepTokens, then PyTorch's. */
async function streamRound(
  onArray: Row,
  onTokens: Row,
  H: number,
  servers: readonly TorchServer[],
  init: (threads: number) => void,
): Promise<void> {
  await sleep(SETTLE_MS);
  for (const n of THREADS) {
    init(n);
    const k = streamingStep({ inputSize: 128, hiddenSize: H, batches: 6, perBatch: 2000 });
    add(onArray.kioku, n, k.streamerUs);
    add(onTokens.kioku, n, k.tokenStreamerUs);
  }
  for (const s of servers) {
    await sleep(SETTLE_MS);
    add(onArray.torch, s.threads, (await s.request({ stream: [128, H], calls: 500 })).stream_us);
    add(
      onTokens.torch,
      s.threads,
      (await s.request({ stream: [128, H], calls: 500, vocab: 5000 })).stream_us,
    );
  }
}

const fmt = (v: number, digits = 1) => v.toFixed(digits);

/** "1.23 (2t)" for a row side's best setting, or "—". */
function bestCell(m: Map<number, number[]>, digits = 2): string {
  const b = best(m);
  return b ? `${fmt(b[0], digits)} (${b[1]}t)` : '—';
}

/** PyTorch's best over kioku's best (> 1: kioku is faster). */
function ratioCell(row: Row): string {
  const k = best(row.kioku);
  const t = best(row.torch);
  return k && t ? `${fmt(t[0] / k[0], 2)}×` : '—';
}

function perThread(m: Map<number, number[]>, digits = 2): string {
  return THREADS.map((n) => (m.get(n)?.length ? fmt(median(m.get(n)!), digits) : '—')).join(' | ');
}

/** The markdown section for a run; `peak(n)` is the measured FMA peak of n threads in GFLOP/s. */
export function formatSmall(r: SmallResult, peak: (threads: number) => number): string[] {
  const lines: string[] = [];
  const say = (s = '') => lines.push(s);
  const load = (v: number[]) => v.map((x) => fmt(x)).join(', ');
  say('## Small shapes and batch 1, interleaved with PyTorch');
  say();
  say(
    `Command: \`npx tsx bench/small.ts ${r.rounds}\` (bench/small.ts; PyTorch ${r.torchVersion ?? 'not installed'} through bench/torch_bench.py --serve). Each of ${r.rounds} rounds times every workload on kioku-native and PyTorch at 1 and 2 threads back to back (kioku: median of 7 runs after 2 warm-up runs; PyTorch likewise), so that both see the same load, and each side only after the other has been idle for ${SETTLE_MS} ms, so that no thread of the other still polls for work while it is timed; the tables give medians over rounds, and the ratio is PyTorch's best thread setting over kioku's (> 1: kioku is faster). Load average before: ${load(r.loadBefore)}; after: ${load(r.loadAfter)}. CPU time the hypervisor took (steal) during the run: ${fmt(r.stealPct)}%.`,
  );
  say();
  const [seed, ...sweep] = r.plans;
  say(
    '| seed model (vocab 5000, embed 128, hidden 64, batch 32, T 200, Adam) | kioku 1t (ms) | kioku 2t (ms) | PyTorch 1t (ms) | PyTorch 2t (ms) | PyTorch best / kioku best | kioku LSTM % of FMA peak |',
  );
  say('|---|---|---|---|---|---|---|');
  for (const row of [seed!.train, seed!.infer]) {
    const k = best(row.kioku);
    const flops = row === seed!.train ? SEED_TRAIN_FLOPS : SEED_TRAIN_FLOPS / 3;
    const pct = k ? `${fmt((100 * flops) / (k[0] * 1e6) / peak(k[1]), 0)}% (${k[1]}t)` : '—';
    say(`| ${row.label} | ${perThread(row.kioku)} | ${perThread(row.torch)} | ${ratioCell(row)} | ${pct} |`);
  }
  say();
  say(
    'Hidden-size sweep: LSTM(H → H) on random (T 100, B, H) features → Linear(H, 2) on the last step, cross-entropy, Adam (bench/sweep.ts; PyTorch the same model). Times in ms, best thread setting in parentheses.',
  );
  say();
  say(
    '| H, B | kioku train | PyTorch train | train ratio | kioku inference | PyTorch inference | inference ratio | kioku train GFLOP/s |',
  );
  say('|---|---|---|---|---|---|---|---|');
  for (const p of sweep) {
    const [h, b] = p.train.label.match(/\d+/g)!.map(Number);
    const k = best(p.train.kioku);
    const gf = k
      ? fmt((3 * forwardFlops({ cell: 'LSTM', hidden: h!, batch: b!, steps: 100 })) / (k[0] * 1e6))
      : '—';
    say(
      `| ${p.train.label} | ${bestCell(p.train.kioku)} | ${bestCell(p.train.torch)} | ${ratioCell(p.train)} | ${bestCell(p.infer.kioku)} | ${bestCell(p.infer.torch)} | ${ratioCell(p.infer)} | ${gf} |`,
    );
  }
  say();
  say(
    "Batch-1 streaming step without autograd, µs: kioku's layer streamer on an input array (`lstm.streamer().step(x)`) and on token ids of a 5000-row embedding (`stepTokens`, each token's input product kept from its first step), bench/streaming.ts; PyTorch's LSTM module called with its state, after `nn.Embedding` for the token rows.",
  );
  say();
  say('| layer | kioku 1t | kioku 2t | PyTorch 1t | PyTorch 2t | PyTorch best / kioku best |');
  say('|---|---|---|---|---|---|');
  for (const row of r.stream)
    say(`| ${row.label} | ${perThread(row.kioku)} | ${perThread(row.torch, 1)} | ${ratioCell(row)} |`);
  say();
  return lines;
}

const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  const { addon, reason } = nativeBackend();
  if (!addon) {
    process.stderr.write(`bench/small: the native addon is unavailable (${reason})\n`);
    process.exit(1);
  }
  setBackend('native');
  const rounds = Number(process.argv[2] ?? 5);
  const { peakProbe } = await import('./peak.js');
  const probe = peakProbe(addon.info().isa);
  const peaks = new Map(THREADS.map((n) => [n, probe(n, 0.5)]));
  const result = await runSmall(rounds, (n) => addon.init(n));
  console.log(formatSmall(result, (n) => peaks.get(n)!).join('\n'));
  console.log(
    `Measured FMA peak: ${THREADS.map((n) => `${n} thread(s) ${fmt(peaks.get(n)!)} GFLOP/s`).join(', ')}.`,
  );
}
