/**
 * The adding problem (Hochreiter & Schmidhuber 1997), kioku's long-memory demo.
 *
 * Each sample is T steps of two features: a value from U(0, 1) and a marker that is 1 at
 * exactly two steps (one in each half of the sequence) and 0 elsewhere. The target is the
 * sum of the two marked values. Predicting the mean gives MSE ≈ 1/6 ≈ 0.167; beating that
 * requires carrying a value across up to T steps.
 *
 * Run: npx tsx examples/adding-problem.ts [--T 100] [--steps N] [--cells lstm,gru,rnn] [--seed S]
 * trains each cell with the same budget and prints a table: an LSTM and a GRU solve T = 100
 * (held-out MSE < 0.01), a tanh RNN stays at the constant predictor's ≈ 0.167.
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/native/init.js';
import { Linear } from '../src/nn/linear.js';
import { mseLoss } from '../src/nn/losses.js';
import { GRU, LSTM, RNN } from '../src/nn/rnn.js';
import { reshape } from '../src/ops/shape.js';
import { Adam } from '../src/optim/adam.js';
import { clipGradNorm } from '../src/optim/clip.js';
import { noGrad } from '../src/tensor/autograd.js';
import { ValueError } from '../src/tensor/errors.js';
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

export type AddingCell = 'lstm' | 'gru' | 'rnn';

export const ADDING_CELLS: readonly AddingCell[] = ['lstm', 'gru', 'rnn'];

export interface AddingOptions {
  /** Recurrent layer: 'lstm' (default), 'gru' or a tanh 'rnn'. */
  cell?: AddingCell;
  T?: number;
  hiddenSize?: number;
  batchSize?: number;
  steps?: number;
  lr?: number;
  /** Global gradient-norm clip (default 1). */
  clip?: number;
  seed?: number;
  /** Held-out set (default: 256 sequences drawn from the training generator after initialisation). */
  test?: { x: Tensor; y: Tensor };
  /** Called every `logEvery` steps with the held-out MSE and the mean training loss since the last call. */
  onLog?: (step: number, mse: number, trainLoss: number) => void;
  logEvery?: number;
}

function checkPositiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0)
    throw new ValueError(`trainAdding: ${name} must be a positive integer, got ${v}`);
  return v;
}

function checkPositive(name: string, v: number): number {
  if (!(v > 0)) throw new ValueError(`trainAdding: ${name} must be a number > 0, got ${v}`);
  return v;
}

/** Trains LSTM / GRU / RNN → Linear on the adding problem; returns the final held-out MSE. */
export function trainAdding(options: AddingOptions = {}): number {
  const cell = options.cell ?? 'lstm';
  if (!ADDING_CELLS.includes(cell))
    throw new ValueError(
      `trainAdding: cell must be one of ${ADDING_CELLS.join(', ')}, got '${String(cell)}'`,
    );
  const T = checkPositiveInt('T', options.T ?? 50);
  if (T < 2) throw new ValueError(`trainAdding: T must be at least 2 (one marker per half), got ${T}`);
  const H = checkPositiveInt('hiddenSize', options.hiddenSize ?? 16);
  const B = checkPositiveInt('batchSize', options.batchSize ?? 32);
  const steps = checkPositiveInt('steps', options.steps ?? 600);
  const logEvery = checkPositiveInt('logEvery', options.logEvery ?? 100);
  const lr = checkPositive('lr', options.lr ?? 1e-2);
  const clip = checkPositive('clip', options.clip ?? 1);
  if (options.test && (options.test.x.shape[1] !== T || options.test.x.shape[2] !== 2))
    throw new ValueError(
      `trainAdding: test.x must have shape (N, ${T}, 2), got (${options.test.x.shape.join(', ')})`,
    );
  const generator = new Generator(options.seed ?? 0);
  const layerOptions = { inputSize: 2, hiddenSize: H, batchFirst: true, generator };
  // x: (B, T, 2) → final hidden state hN: (1, B, H) → (B, H) → (B, 1)
  let last: (x: Tensor) => Tensor;
  let layer: LSTM | GRU | RNN;
  if (cell === 'lstm') {
    const lstm = new LSTM(layerOptions);
    last = (x) => lstm.forward(x)[1][0];
    layer = lstm;
  } else {
    const rnn = cell === 'gru' ? new GRU(layerOptions) : new RNN({ ...layerOptions, nonlinearity: 'tanh' });
    last = (x) => rnn.forward(x)[1];
    layer = rnn;
  }
  const head = new Linear(H, 1, { generator });
  const params = [...layer.parameters(), ...head.parameters()];
  const optimizer = new Adam(params, { lr });
  const predict = (x: Tensor) => head.forward(reshape(last(x), [x.shape[0]!, H]));
  const test = options.test ?? addingBatch(T, 256, generator);
  const evaluate = () => noGrad(() => mseLoss(predict(test.x), test.y).item());
  let lossSum = 0;
  for (let step = 1; step <= steps; step++) {
    const { x, y } = addingBatch(T, B, generator);
    optimizer.zeroGrad();
    const loss = mseLoss(predict(x), y);
    loss.backward();
    lossSum += loss.item();
    clipGradNorm(params, clip);
    optimizer.step();
    if (options.onLog && step % logEvery === 0) {
      options.onLog(step, evaluate(), lossSum / logEvery);
      lossSum = 0;
    }
  }
  return evaluate();
}

/** MSE of the best constant predictor (the targets' mean) on y: (N, 1). */
export function constantBaselineMse(y: Tensor): number {
  const v = y.f32;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
}

const SOLVED_MSE = 0.01;
const TEST_SIZE = 2000;
// The held-out set is the same for every cell and seed.
const TEST_SEED = 20250;

function parseCli(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      T: { type: 'string', default: '100' },
      steps: { type: 'string', default: '4000' },
      cells: { type: 'string', default: 'lstm,gru,rnn' },
      seed: { type: 'string', default: '1' },
      hidden: { type: 'string', default: '32' },
      batch: { type: 'string', default: '32' },
      lr: { type: 'string', default: '0.01' },
      'log-every': { type: 'string', default: '500' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const int = (name: string, s: string) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0)
      throw new ValueError(`--${name} must be a positive integer, got '${s}'`);
    return n;
  };
  const cells = values.cells.split(',').map((c) => c.trim());
  for (const c of cells) {
    if (!ADDING_CELLS.includes(c as AddingCell))
      throw new ValueError(`--cells must list cells out of ${ADDING_CELLS.join(', ')}, got '${c}'`);
  }
  const T = int('T', values.T);
  if (T < 2) throw new ValueError(`--T must be at least 2 (one marker per half), got '${values.T}'`);
  const lr = Number(values.lr);
  if (!(lr > 0)) throw new ValueError(`--lr must be a number > 0, got '${values.lr}'`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0)
    throw new ValueError(`--seed must be an integer ≥ 0, got '${values.seed}'`);
  return {
    help: values.help,
    T,
    steps: int('steps', values.steps),
    cells: cells as AddingCell[],
    seed,
    hiddenSize: int('hidden', values.hidden),
    batchSize: int('batch', values.batch),
    lr,
    logEvery: int('log-every', values['log-every']),
  };
}

const USAGE = `Usage: npx tsx examples/adding-problem.ts [options]
  --T <n>           sequence length (default 100)
  --steps <n>       training steps per cell (default 4000)
  --cells <list>    cells to train, out of lstm,gru,rnn (default all three)
  --seed <n>        initialisation and training-data seed (default 1)
  --hidden <n>      hidden size (default 32)
  --batch <n>       batch size (default 32)
  --lr <x>          Adam learning rate (default 0.01); gradients clipped to norm 1
  --log-every <n>   progress line every n steps (default 500)`;

function main(): void {
  let args: ReturnType<typeof parseCli>;
  try {
    args = parseCli(process.argv.slice(2));
  } catch (e) {
    console.error(`adding-problem: ${(e as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const backend = initBackend();
  const { T, steps, seed } = args;
  const test = addingBatch(T, TEST_SIZE, new Generator(TEST_SEED));
  const baseline = constantBaselineMse(test.y);
  console.log(
    `adding problem, T = ${T}: ${steps} steps per cell, batch ${args.batchSize}, hidden ${args.hiddenSize}, ` +
      `Adam lr ${args.lr}, clip 1, seed ${seed}, ${TEST_SIZE} held-out sequences, ${backend} backend`,
  );
  const rows: string[][] = [];
  for (const cell of args.cells) {
    const started = performance.now();
    let firstSolved: number | null = null;
    const mse = trainAdding({
      cell,
      T,
      steps,
      seed,
      hiddenSize: args.hiddenSize,
      batchSize: args.batchSize,
      lr: args.lr,
      test,
      logEvery: args.logEvery,
      onLog: (step, m, trainLoss) => {
        if (firstSolved === null && m < SOLVED_MSE) firstSolved = step;
        const s = ((performance.now() - started) / 1000).toFixed(0);
        console.log(
          `${cell.padEnd(4)} step ${String(step).padStart(5)}: train loss ${trainLoss.toFixed(4)}, held-out MSE ${m.toFixed(4)} (${s}s)`,
        );
      },
    });
    const seconds = (performance.now() - started) / 1000;
    rows.push([
      cell,
      String(steps),
      mse.toFixed(4),
      baseline.toFixed(4),
      mse < SOLVED_MSE ? 'yes' : 'no',
      firstSolved === null ? '–' : String(firstSolved),
      seconds.toFixed(0),
    ]);
  }
  const header = ['cell', 'steps', 'test MSE', 'baseline MSE', 'solved', 'first < 0.01 at', 'time (s)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => `| ${cols.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n${line(header)}\n| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const r of rows) console.log(line(r));
  console.log(`solved: held-out MSE < ${SOLVED_MSE}; baseline: predicting the mean of the held-out targets`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
