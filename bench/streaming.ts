/*
 * Batch-1 streaming inference: one step of LSTM(E, H), three ways, on the active backend's
 * kernels — the fused forward kernel called directly on buffers a caller holds, the layer's
 * streamer (`lstm.streamer().step(x)`, on one input array and on a different one each step), and
 * the LSTM module's forward under noGrad with the state passed back in — and the same kernel call
 * with T = 0 (its arguments crossed into the kernel and checked, nothing computed: the fixed cost
 * of a call that is not bound; the kernel and the streamer repeat their arguments, so the native
 * backend runs them bound, src/backend/native/bound.ts). Each time is the median over `batches`
 * batches of `perBatch` steps (the module: perBatch / 8), taken in three interleaved rounds, in µs
 * per step. The token case steps the streamer on token ids of a `vocab`-row embedding
 * (`stepTokens`, each token's input product kept from its first step; every row is used once
 * before timing, so it times the steady state), random tokens in turn. Time is wall time, or the
 * process's CPU time with `cpu` (which a loaded machine inflates less; run one kernel thread).
 * Standalone: `npx tsx bench/streaming.ts [js|native] [E] [H] [V] [cpu]`.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nativeBackend } from '../src/backend/native/index.js';
import { type BackendName, backend, kernels, setBackend } from '../src/backend/registry.js';
import { LSTM } from '../src/nn/rnn.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Generator } from '../src/tensor/random.js';
import { randn } from '../src/tensor/random-tensors.js';
import { type Tensor, zeros } from '../src/tensor/tensor.js';

export interface StreamingOptions {
  backend?: BackendName;
  inputSize?: number;
  hiddenSize?: number;
  batches?: number;
  perBatch?: number;
  /** Rows of the token case's embedding (default 5000). */
  vocab?: number;
  /** Time by the process's CPU time instead of wall time. */
  cpu?: boolean;
}

export interface StreamingResult {
  /** The kernel call with T = 0: arguments read and checked, nothing computed, never bound. */
  crossingUs: number;
  kernelUs: number;
  streamerUs: number;
  /** The streamer fed a different array at every step (eight in turn), as a data source would. */
  streamerFreshUs: number;
  moduleUs: number;
  /** The streamer stepped on token ids (`stepTokens`), its kept input products all made. */
  tokenStreamerUs: number;
}

// Microseconds now, by the wall clock or the process's CPU time (user and system).
const wallUs = () => performance.now() * 1e3;
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** µs per call of `fn` in each of `batches` timed batches of `per` calls, after 2 untimed ones. */
function batchTimes(fn: () => void, batches: number, per: number, now = wallUs): number[] {
  for (let i = 0; i < 2 * per; i++) fn();
  const times: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = now();
    for (let i = 0; i < per; i++) fn();
    times.push((now() - t0) / per);
  }
  return times;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Per-step times of a batch-1 LSTM step; the previously active backend is restored. */
export function streamingStep(options: StreamingOptions = {}): StreamingResult {
  const { backend: name = 'native', inputSize: E = 128, hiddenSize: H = 64 } = options;
  const batches = options.batches ?? 31;
  const perBatch = options.perBatch ?? 1000;
  if (name === 'native' && !nativeBackend().addon) {
    throw new Error("bench/streaming: the native addon is unavailable; run 'npm run build:native'");
  }
  const previous = backend();
  setBackend(name);
  try {
    const lstm = new LSTM({ inputSize: E, hiddenSize: H, generator: new Generator(3) }).eval();
    const x = randn([1, 1, E], { generator: new Generator(4) });
    const G = 4 * H;
    const w = lstm.parameters().map((p) => p.f32);
    const [wIh, wHh, bIh, bHh] = w as [Float32Array, Float32Array, Float32Array, Float32Array];
    const xs = x.f32;
    // The kernel alone, as a caller holding its buffers runs it (state ping-ponged like a stream).
    let [h, c, hN, cN] = [new Float32Array(H), new Float32Array(H), new Float32Array(H), new Float32Array(H)];
    const [out, gates, cells] = [new Float32Array(H), new Float32Array(G), new Float32Array(H)];
    const kernelCall = (T: number) => {
      kernels.lstmForward(
        T,
        1,
        E,
        H,
        0,
        xs,
        wIh,
        wHh,
        null,
        bIh,
        bHh,
        h,
        c,
        null,
        false,
        out,
        hN,
        cN,
        gates,
        cells,
        null,
      );
      [h, hN, c, cN] = [hN, h, cN, c];
    };
    const kernelStep = () => kernelCall(1);
    const crossing = () => kernelCall(0);
    const s = lstm.streamer({ batch: 1 });
    const streamerStep = () => {
      s.step(xs);
    };
    const fresh = Array.from({ length: 8 }, (_, i) => xs.map((v) => v + i));
    let next = 0;
    const streamerFreshStep = () => {
      s.step(fresh[next++ & 7]!);
    };
    const V = options.vocab ?? 5000;
    const embedding = randn([V, E], { generator: new Generator(5) });
    const tokens = lstm.streamer({ batch: 1 });
    for (let v = 0; v < V; v++) tokens.stepTokens([v], embedding);
    const g = new Generator(6);
    const ids = Array.from({ length: 4096 }, () => [g.randint(V)]);
    let nextId = 0;
    const tokenStep = () => {
      tokens.stepTokens(ids[nextId++ & 4095]!, embedding);
    };
    let state: [Tensor, Tensor] = [zeros([1, 1, H]), zeros([1, 1, H])];
    const moduleStep = () => {
      noGrad(() => {
        state = lstm.forward(x, state)[1];
      });
    };
    // Three interleaved rounds, so that load from other processes spreads over all three.
    const times: number[][] = [[], [], [], [], [], []];
    const perRound = Math.max(1, Math.round(batches / 3));
    const now = options.cpu ? cpuUs : wallUs;
    for (let r = 0; r < 3; r++) {
      times[0]!.push(...batchTimes(kernelStep, perRound, perBatch, now));
      times[1]!.push(...batchTimes(streamerStep, perRound, perBatch, now));
      times[5]!.push(...batchTimes(tokenStep, perRound, perBatch, now));
      times[2]!.push(...batchTimes(moduleStep, perRound, Math.max(1, perBatch >> 3), now));
      times[3]!.push(...batchTimes(crossing, perRound, perBatch, now));
      times[4]!.push(...batchTimes(streamerFreshStep, perRound, perBatch, now));
    }
    return {
      crossingUs: median(times[3]!),
      kernelUs: median(times[0]!),
      streamerUs: median(times[1]!),
      streamerFreshUs: median(times[4]!),
      moduleUs: median(times[2]!),
      tokenStreamerUs: median(times[5]!),
    };
  } finally {
    setBackend(previous);
  }
}

const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  const arg = process.argv[2] ?? 'native';
  if (arg !== 'js' && arg !== 'native') {
    process.stderr.write(`bench/streaming: backend must be js or native, got '${arg}'\n`);
    process.exit(1);
  }
  const name: BackendName = arg;
  const sizes = [process.argv[3] ?? '128', process.argv[4] ?? '64', process.argv[5] ?? '5000'];
  const [E, H, V] = sizes.map(Number) as [number, number, number];
  if (![E, H, V].every((n) => Number.isInteger(n) && n > 0)) {
    process.stderr.write(`bench/streaming: E, H and V must be positive integers, got ${sizes.join(', ')}\n`);
    process.exit(1);
  }
  const cpu = process.argv[6] === 'cpu';
  const r = streamingStep({ backend: name, inputSize: E, hiddenSize: H, vocab: V, cpu });
  console.log(
    `batch-1 LSTM(${E}, ${H}) step on ${name}, ${cpu ? 'CPU' : 'wall'} time: kernel ${r.kernelUs.toFixed(2)} µs (an unbound call's fixed cost, T = 0: ${r.crossingUs.toFixed(2)} µs), streamer ${r.streamerUs.toFixed(2)} µs (a different input array each step: ${r.streamerFreshUs.toFixed(2)} µs), token streamer (${V} tokens) ${r.tokenStreamerUs.toFixed(2)} µs, module ${r.moduleUs.toFixed(1)} µs`,
  );
}
