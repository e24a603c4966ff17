import { Linear } from '../src/nn/linear.js';
import { crossEntropy } from '../src/nn/losses.js';
import { GRU, LSTM, RNN } from '../src/nn/rnn.js';
import { reshape, slice } from '../src/ops/shape.js';
import { Adam } from '../src/optim/adam.js';
import { noGrad } from '../src/tensor/autograd.js';
import { ValueError } from '../src/tensor/errors.js';
import { Generator } from '../src/tensor/random.js';
import { randint, randn } from '../src/tensor/random-tensors.js';
import type { Tensor } from '../src/tensor/tensor.js';

export type Cell = 'LSTM' | 'GRU' | 'RNN';

/** One sweep row: a single-layer cell with input size E = H, time-major (T, B, H) input. */
export interface SweepConfig {
  cell: Cell;
  hidden: number;
  batch: number;
  steps: number;
  /** Timed runs and untimed warm-up runs, the same on every backend. */
  reps: number;
  warmup: number;
}

export type SweepMode = 'default' | 'full';

const GATES: Record<Cell, number> = { LSTM: 4, GRU: 3, RNN: 1 };
const CELLS: readonly Cell[] = ['LSTM', 'GRU', 'RNN'];

/** (H, B, T) of the reduced sweep that `npm run bench` runs unless `--sweep full` is given. */
const DEFAULT_SHAPES: readonly (readonly [number, number, number])[] = [
  [64, 32, 200],
  [256, 32, 200],
  [512, 128, 50],
  [64, 1, 1000],
  [256, 128, 200],
];

/** `--sweep default|full` from the command line (default when absent). */
export function sweepModeFrom(argv: readonly string[]): SweepMode {
  const i = argv.indexOf('--sweep');
  if (i < 0) return 'default';
  const v = argv[i + 1];
  if (v !== 'default' && v !== 'full') {
    throw new ValueError(`bench: --sweep must be 'default' or 'full', got '${String(v)}'`);
  }
  return v;
}

/** Forward FLOPs of the recurrent layer: 2·T·B·G·H·(E + H) multiply-adds, E = H. */
export function forwardFlops(c: Pick<SweepConfig, 'cell' | 'hidden' | 'batch' | 'steps'>): number {
  return 2 * c.steps * c.batch * GATES[c.cell] * c.hidden * (2 * c.hidden);
}

/** A training step counts as 3× the forward FLOPs (forward, input and weight gradients). */
export const trainFlops = (c: SweepConfig): number => 3 * forwardFlops(c);

/** kioku-js (~20× slower) runs only the configurations this small. */
export const jsRuns = (c: SweepConfig): boolean => trainFlops(c) <= 2e9;

export const configKey = (c: Pick<SweepConfig, 'cell' | 'hidden' | 'batch' | 'steps'>): string =>
  `${c.cell}-${c.hidden}-${c.batch}-${c.steps}`;

/**
 * Fewer repetitions for big configurations so one row takes a second or two: the estimate is the
 * training step at 50 GFLOP/s plus 0.1 ms of per-time-step overhead (long batch-1 sequences).
 */
function repsOf(cell: Cell, hidden: number, batch: number, steps: number): { reps: number; warmup: number } {
  const ms = (3 * forwardFlops({ cell, hidden, batch, steps })) / 50e6 + 0.1 * steps;
  if (ms > 300) return { reps: 3, warmup: 1 };
  if (ms > 50) return { reps: 5, warmup: 1 };
  return { reps: 7, warmup: 2 };
}

export function sweepConfigs(mode: SweepMode): SweepConfig[] {
  const shapes: [number, number, number][] = [];
  if (mode === 'full') {
    for (const h of [64, 256, 512])
      for (const b of [1, 32, 128]) for (const t of [50, 200, 1000]) shapes.push([h, b, t]);
  } else {
    for (const s of DEFAULT_SHAPES) shapes.push([...s]);
  }
  return CELLS.flatMap((cell) =>
    shapes.map(([hidden, batch, steps]) => ({
      cell,
      hidden,
      batch,
      steps,
      ...repsOf(cell, hidden, batch, steps),
    })),
  );
}

export interface SweepWorkload {
  trainStep(): void;
  infer(): void;
}

/**
 * cell(H → H) on random (T, B, H) features → Linear(H, 2) on the last step's output,
 * cross-entropy, Adam(lr 1e-3). No embedding.
 */
export function sweepWorkload(c: SweepConfig): SweepWorkload {
  const generator = new Generator(0);
  const { hidden: H, batch: B, steps: T } = c;
  const rnn =
    c.cell === 'LSTM'
      ? new LSTM({ inputSize: H, hiddenSize: H, generator })
      : c.cell === 'GRU'
        ? new GRU({ inputSize: H, hiddenSize: H, generator })
        : new RNN({ inputSize: H, hiddenSize: H, generator });
  const head = new Linear(H, 2, { generator });
  const opt = new Adam([...rnn.parameters(), ...head.parameters()], { lr: 1e-3 });
  const x = randn([T, B, H], { generator });
  const y = randint(0, 2, [B], { generator });
  // output (T, B, H) → last step (B, H) → logits (B, 2)
  const forward = (): Tensor => {
    const [out] = rnn.forward(x);
    return head.forward(reshape(slice(out, 0, T - 1, T), [B, H]));
  };
  return {
    trainStep() {
      opt.zeroGrad();
      crossEntropy(forward(), y).backward();
      opt.step();
    },
    infer() {
      noGrad(forward);
    },
  };
}
