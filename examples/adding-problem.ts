/**
 * The adding problem (Hochreiter & Schmidhuber 1997), kioku's long-memory demo.
 *
 * Each sample is T steps of two features: a value from U(0, 1) and a marker that is 1 at
 * exactly two steps (one in each half of the sequence) and 0 elsewhere. The target is the
 * sum of the two marked values. Predicting the mean gives MSE ≈ 1/6 ≈ 0.167; beating that
 * requires carrying a value across up to T steps.
 *
 * Run: npx tsx examples/adding-problem.ts
 */
import { Linear } from '../src/nn/linear.js';
import { mseLoss } from '../src/nn/losses.js';
import { LSTM } from '../src/nn/rnn.js';
import { reshape } from '../src/ops/shape.js';
import { Adam } from '../src/optim/adam.js';
import { clipGradNorm } from '../src/optim/clip.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Generator } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

/** A batch: x (B, T, 2) batch-first, y (B, 1). */
export function addingBatch(T: number, B: number, generator: Generator): { x: Tensor; y: Tensor } {
  const x = new Float32Array(B * T * 2);
  const y = new Float32Array(B);
  const half = Math.floor(T / 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) x[(b * T + t) * 2] = generator.random();
    const i = generator.randint(half);
    const j = half + generator.randint(T - half);
    x[(b * T + i) * 2 + 1] = 1;
    x[(b * T + j) * 2 + 1] = 1;
    y[b] = x[(b * T + i) * 2]! + x[(b * T + j) * 2]!;
  }
  return { x: new Tensor(x, [B, T, 2]), y: new Tensor(y, [B, 1]) };
}

export interface AddingOptions {
  T?: number;
  hiddenSize?: number;
  batchSize?: number;
  steps?: number;
  lr?: number;
  seed?: number;
  /** Called every `logEvery` steps with the held-out MSE. */
  onLog?: (step: number, mse: number) => void;
  logEvery?: number;
}

/** Trains LSTM → Linear on the adding problem; returns the final held-out MSE. */
export function trainAdding(options: AddingOptions = {}): number {
  const T = options.T ?? 50;
  const H = options.hiddenSize ?? 16;
  const B = options.batchSize ?? 32;
  const steps = options.steps ?? 600;
  const logEvery = options.logEvery ?? 100;
  const generator = new Generator(options.seed ?? 0);
  const lstm = new LSTM({ inputSize: 2, hiddenSize: H, batchFirst: true, generator });
  const head = new Linear(H, 1, { generator });
  const params = [...lstm.parameters(), ...head.parameters()];
  const optimizer = new Adam(params, { lr: options.lr ?? 1e-2 });
  const predict = (x: Tensor) => {
    const [, [hN]] = lstm.forward(x);
    return head.forward(reshape(hN, [x.shape[0]!, H]));
  };
  const test = addingBatch(T, 256, generator);
  const evaluate = () => noGrad(() => mseLoss(predict(test.x), test.y).item());
  for (let step = 1; step <= steps; step++) {
    const { x, y } = addingBatch(T, B, generator);
    optimizer.zeroGrad();
    mseLoss(predict(x), y).backward();
    clipGradNorm(params, 1);
    optimizer.step();
    if (options.onLog && step % logEvery === 0) options.onLog(step, evaluate());
  }
  return evaluate();
}

function main(): void {
  const mse = trainAdding({ onLog: (step, m) => console.log(`step ${step}: held-out MSE ${m.toFixed(4)}`) });
  console.log(`final MSE ${mse.toFixed(4)} (predicting the mean: ~0.167)`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
