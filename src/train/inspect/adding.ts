import { Linear } from '../../nn/linear.js';
import { mseLoss } from '../../nn/losses.js';
import { GRU, LSTM, RNN } from '../../nn/rnn.js';
import { reshape, slice } from '../../ops/shape.js';
import { Adam } from '../../optim/adam.js';
import { clipGradNorm } from '../../optim/clip.js';
import { noGrad } from '../../tensor/autograd.js';
import { ValueError } from '../../tensor/errors.js';
import { Generator } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { gradientFlow, meanNorms } from './gradient-flow.js';
import type { RecurrentLayer } from './layer-weights.js';

/*
 * The adding problem (Hochreiter & Schmidhuber 1997), the classic test of long memory: each
 * sample is T steps of (value from U(0, 1), marker), the marker 1 at one step of each half, and
 * the target the sum of the two marked values. Predicting the mean scores MSE ≈ 1/6; doing
 * better means carrying a value across up to T steps. Trained small models, then measured with
 * gradientFlow, show how far back each cell's gradient reaches.
 */

export type AddingCell = 'rnn' | 'lstm' | 'gru';
export const ADDING_CELLS: readonly AddingCell[] = ['rnn', 'lstm', 'gru'];

/** x: (T, B, 2) time-major, y: (B, 1). */
export function addingProblem(T: number, B: number, generator: Generator): { x: Tensor; y: Tensor } {
  if (!Number.isInteger(T) || T < 2)
    throw new ValueError(`addingProblem: T must be an integer ≥ 2 (one marker per half), got ${T}`);
  if (!Number.isInteger(B) || B < 1)
    throw new ValueError(`addingProblem: B must be a positive integer, got ${B}`);
  const x = new Float32Array(T * B * 2);
  const y = new Float32Array(B);
  const half = Math.floor(T / 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) x[(t * B + b) * 2] = generator.random();
    const marks = [generator.randint(half), half + generator.randint(T - half)];
    for (const t of marks) {
      x[(t * B + b) * 2 + 1] = 1;
      y[b]! += x[(t * B + b) * 2]!;
    }
  }
  return { x: new Tensor(x, [T, B, 2]), y: new Tensor(y, [B, 1]) };
}

export interface AddingModel {
  cell: AddingCell;
  layer: RecurrentLayer;
  head: Linear;
  /** x (T, B, 2) → predictions (B, 1) from the final hidden state. */
  predict: (x: Tensor) => Tensor;
}

/** A one-layer `cell` of `hiddenSize` units with a linear read-out of its final state. */
export function addingModel(cell: AddingCell, hiddenSize: number, generator: Generator): AddingModel {
  if (!ADDING_CELLS.includes(cell))
    throw new ValueError(`addingModel: cell must be one of ${ADDING_CELLS.join(', ')}, got ${String(cell)}`);
  const o = { inputSize: 2, hiddenSize, generator };
  const layer = cell === 'lstm' ? new LSTM(o) : cell === 'gru' ? new GRU(o) : new RNN(o);
  const head = new Linear(hiddenSize, 1, { generator });
  const predict = (x: Tensor) => {
    const r = layer.forward(x);
    const hN = r[1] instanceof Tensor ? r[1] : r[1][0];
    return head.forward(reshape(hN, [x.shape[1]!, hiddenSize]));
  };
  return { cell, layer, head, predict };
}

export interface AddingTraining {
  /** Sequence length (default 100). */
  T?: number;
  hiddenSize?: number;
  batchSize?: number;
  steps?: number;
  lr?: number;
  seed?: number;
}

/** One Adam step at a time on fresh batches (gradients clipped to norm 1), as trainAdding runs them. */
export function addingTrainer(model: AddingModel, options: Required<AddingTraining>): () => void {
  const generator = new Generator(options.seed + 1);
  const params = [...model.layer.parameters(), ...model.head.parameters()];
  const optimizer = new Adam(params, { lr: options.lr });
  return () => {
    const { x, y } = addingProblem(options.T, options.batchSize, generator);
    optimizer.zeroGrad();
    mseLoss(model.predict(x), y).backward();
    clipGradNorm(params, 1);
    optimizer.step();
  };
}

/** Trains `model` with Adam (gradients clipped to norm 1); returns the held-out MSE. */
export function trainAdding(
  model: AddingModel,
  options: Required<AddingTraining>,
  test: { x: Tensor; y: Tensor },
): number {
  const step = addingTrainer(model, options);
  for (let k = 0; k < options.steps; k++) step();
  return noGrad(() => mseLoss(model.predict(test.x), test.y).item());
}

export interface AddingFlow {
  cell: AddingCell;
  /** Held-out MSE after training (the mean predictor scores ≈ 0.167). */
  mse: number;
  /** hidden[k]: mean ‖∂ŷ/∂h_t‖ over the held-out samples at distance k = T − 1 − t back in time. */
  hidden: Float64Array;
  /** input[k]: mean ‖∂ŷ/∂x_t‖ at distance k. */
  input: Float64Array;
}

export const ADDING_DEFAULTS: Required<AddingTraining> = {
  T: 100,
  hiddenSize: 16,
  batchSize: 32,
  steps: 300,
  lr: 1e-2,
  seed: 1,
};

/** The held-out MSE and mean gradient norms of `model` by distance back in time. */
export function measureAddingFlow(model: AddingModel, test: { x: Tensor; y: Tensor }): AddingFlow {
  const [, B] = test.x.shape as [number, number, number];
  const H = model.layer.hiddenSize;
  const mse = noGrad(() => mseLoss(model.predict(test.x), test.y).item());
  const flow = gradientFlow(model.layer, test.x, {
    target: ({ hN }) => model.head.forward(reshape(slice(hN, 0, 0, 1), [B, H])),
  });
  const back = (m: Float64Array) => m.slice().reverse();
  return {
    cell: model.cell,
    mse,
    hidden: back(meanNorms(flow.hidden[0]![0]!)),
    input: back(meanNorms(flow.input)),
  };
}

/** Trains each cell on the adding problem and measures its gradient flow on 64 held-out sequences. */
export function addingGradientFlow(
  cells: readonly AddingCell[] = ADDING_CELLS,
  training: AddingTraining = {},
): AddingFlow[] {
  const options = { ...ADDING_DEFAULTS, ...training };
  const test = addingProblem(options.T, 64, new Generator(options.seed + 1000));
  return cells.map((cell) => {
    const model = addingModel(cell, options.hiddenSize, new Generator(options.seed));
    const step = addingTrainer(model, options);
    for (let k = 0; k < options.steps; k++) step();
    return measureAddingFlow(model, test);
  });
}
