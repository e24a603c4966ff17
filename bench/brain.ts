import { createRequire } from 'node:module';
import { Linear } from '../src/nn/linear.js';
import { mseLoss } from '../src/nn/losses.js';
import { LSTM } from '../src/nn/rnn.js';
import { clipGradValue } from '../src/optim/clip.js';
import { RMSprop } from '../src/optim/rmsprop.js';
import { Generator } from '../src/tensor/random.js';
import { randn } from '../src/tensor/random-tensors.js';

/*
 * The workload brain.js can express that is closest to the seed's LSTM: brain.js's recurrent nets
 * train one sequence at a time, and LSTMTimeStep predicts the next vector of a sequence at every
 * step. So: LSTM(E → H) → Linear(H → E) at every step, squared-error gradient against the next
 * step, RMSprop with gradient values clipped at 5 (brain.js's built-in update and its defaults:
 * lr 0.01, decay 0.999, eps 1e-8). kioku runs the same model at batch 1 and, for its throughput,
 * at a larger batch.
 */

/** Sequence length, input size and hidden size of one brain.js-shaped workload. */
export interface NextStepShape {
  T: number;
  E: number;
  H: number;
}

/** The median training time per sequence in ms, or the message of the error brain.js threw. */
export type BrainResult = { version: string } & ({ msPerSequence: number } | { error: string });

/**
 * brain.js `recurrent.LSTMTimeStep({ inputSize: E, hiddenLayers: [H], outputSize: E })` trained
 * with `train(data, { iterations: 1 })` on `sequences` random sequences of T vectors: the median of
 * `reps` calls after one warm-up call (which also builds brain.js's per-step equations), divided by
 * `sequences`. Null when brain.js is not installed.
 */
export async function brainLstmTimeStep(
  { T, E, H }: NextStepShape,
  sequences: number,
  reps: number,
): Promise<BrainResult | null> {
  let brain: typeof import('brain.js');
  let version: string;
  try {
    // A CommonJS package: its module.exports is the default export.
    brain = ((await import('brain.js')) as unknown as { default: typeof import('brain.js') }).default;
    version = (createRequire(import.meta.url)('brain.js/package.json') as { version: string }).version;
  } catch {
    return null;
  }
  const generator = new Generator(7);
  const data = Array.from({ length: sequences }, () =>
    Array.from({ length: T }, () => Array.from({ length: E }, () => generator.uniform(-1, 1))),
  );
  const net = new brain.recurrent.LSTMTimeStep({ inputSize: E, hiddenLayers: [H], outputSize: E });
  const times: number[] = [];
  try {
    net.train(data, { iterations: 1 });
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      net.train(data, { iterations: 1 });
      times.push(performance.now() - t0);
    }
  } catch (e) {
    return { version, error: e instanceof Error ? e.message : String(e) };
  }
  times.sort((a, b) => a - b);
  return { version, msPerSequence: times[times.length >> 1]! / sequences };
}

/**
 * kioku's version of the same model on B random sequences at once: LSTM(E → H, batch_first) on
 * x: (B, T, E) → Linear(H → E) at every step → MSE against y: (B, T, E) → clip values at 5 →
 * RMSprop(lr 0.01, alpha 0.999, eps 1e-8). Returns one training step.
 */
export function nextStepWorkload(B: number, { T, E, H }: NextStepShape): () => void {
  const generator = new Generator(8);
  const lstm = new LSTM({ inputSize: E, hiddenSize: H, batchFirst: true, generator });
  const head = new Linear(H, E, { generator });
  const params = [...lstm.parameters(), ...head.parameters()];
  const opt = new RMSprop(params, { lr: 0.01, alpha: 0.999, eps: 1e-8 });
  const x = randn([B, T, E], { generator });
  const y = randn([B, T, E], { generator });
  return () => {
    opt.zeroGrad();
    const [out] = lstm.forward(x);
    mseLoss(head.forward(out), y).backward();
    clipGradValue(params, 5);
    opt.step();
  };
}
