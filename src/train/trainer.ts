import type { Module } from '../nn/module.js';
import { clipGradNorm } from '../optim/clip.js';
import { noGrad } from '../tensor/autograd.js';
import { KiokuError, ValueError } from '../tensor/errors.js';
import { defaultGenerator, type GeneratorState } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { type MetricFn, resolveMetric } from './metric-registry.js';

/**
 * The training loop, generic over a {@link Task}: the task says how a batch runs through the
 * model and what the metrics compare, so text classification and forecasting share one loop.
 */

/** How one kind of problem runs a batch. */
export interface Task<B> {
  /** The model's output for a batch: logits (B, O) or values (B, …). */
  forward(model: Module, batch: B): Tensor;
  /** The loss target of a batch (class ids (B,) or values shaped like the output). */
  target(batch: B): Tensor;
  /** What metrics compare on the prediction side: class ids, or values in the data's units. */
  decode(output: Tensor): ArrayLike<number>;
  /** What metrics compare on the truth side, in the same form as {@link decode}. */
  decodeTarget(batch: B): ArrayLike<number>;
  /** Time steps in a batch, for tokens/s (optional). */
  tokens?(batch: B): number;
}

/** A loss: a function or a module with `forward(output, target)` returning a scalar tensor. */
export type Loss =
  | ((output: Tensor, target: Tensor) => Tensor)
  | { forward(output: Tensor, target: Tensor): Tensor };

/** What the loop needs of an optimizer (every kioku optimizer fits). */
export interface OptimizerLike {
  step(): void;
  zeroGrad(): void;
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

/** What the loop needs of a scheduler; a plateau scheduler is stepped with the monitored value. */
export interface SchedulerLike {
  step(metric?: number): void;
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

/** Batches for one pass; a kioku DataLoader, an array, or any (async) iterable. */
export type Batches<B> = Iterable<B> | AsyncIterable<B>;

/** Per-epoch values: `loss`, `valLoss`, each metric and its `val<Metric>`. */
export type History = Record<string, number[]>;

export interface EarlyStopping {
  /** History key to watch (default 'valLoss', or 'loss' without validation data). */
  monitor?: string;
  /** 'min' for losses and errors, 'max' for scores; default from the monitor's name. */
  mode?: 'min' | 'max';
  /** Epochs without improvement before stopping (default 3). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put back the best epoch's weights when training ends (default true). */
  restoreBest?: boolean;
}

export interface EpochLogs {
  epoch: number;
  epochs: number;
  /** This epoch's values: loss, valLoss, metrics, lr. */
  logs: Record<string, number>;
  history: History;
}

export interface BatchLogs {
  epoch: number;
  batch: number;
  /** Batches per epoch when the data knows its length. */
  batches: number | null;
  loss: number;
  size: number;
  /** Time steps in the batch, when the task counts them. */
  tokens?: number;
}

export interface Callbacks {
  onEpochBegin?(epoch: number): void | Promise<void>;
  onEpochEnd?(info: EpochLogs): void | Promise<void>;
  onBatchEnd?(info: BatchLogs): void | Promise<void>;
}

/** What a checkpoint holds besides the weights. */
export interface TrainingState {
  epoch: number;
  optimizer: unknown;
  scheduler: unknown;
  rng: GeneratorState;
  dataLoader: unknown;
  history: History;
  best: { epoch: number; value: number } | null;
}

/** Writes a checkpoint; `fit` calls it after every epoch. */
export type CheckpointWriter = (model: Module, state: TrainingState) => Promise<void>;

export interface FitOptions<B> {
  task: Task<B>;
  train: Batches<B>;
  val?: Batches<B>;
  epochs: number;
  optimizer: OptimizerLike;
  loss: Loss;
  scheduler?: SchedulerLike;
  /** Clip the global gradient L2 norm to this value before each step. */
  clipGradNorm?: number;
  earlyStopping?: EarlyStopping;
  /** Metric names ('accuracy', 'f1', 'mae', …) or functions by name. */
  metrics?: Array<string> | Record<string, MetricFn>;
  callbacks?: Callbacks;
  /** Stops training after the current batch. */
  signal?: AbortSignal;
  /** Saves a checkpoint after every epoch (see `modelDirCheckpoint`). */
  checkpoint?: CheckpointWriter;
  /**
   * Shorthand for `checkpoint: modelDirCheckpoint(dir, …)` (Node only): a kioku model
   * directory rewritten atomically after every epoch, its architecture from `model.config()`.
   */
  checkpointDir?: string;
  /** Epoch to start from (a resumed run); default 0. */
  initialEpoch?: number;
  /** History of a resumed run, extended in place. */
  history?: History;
}

export interface FitResult {
  history: History;
  /** Epochs completed, counting a resumed run's earlier ones. */
  epochs: number;
  /** The best epoch (1-based) by the early-stopping monitor, when early stopping is on. */
  bestEpoch: number | null;
  stopReason: 'completed' | 'early-stopping' | 'aborted';
}

export interface EvaluateOptions<B> {
  task: Task<B>;
  loss?: Loss;
  metrics?: Array<string> | Record<string, MetricFn>;
  signal?: AbortSignal;
}

export interface Evaluation {
  /** Mean loss per example (NaN without a loss). */
  loss: number;
  metrics: Record<string, number>;
  /** Truth and prediction in decoded form, in data order. */
  yTrue: number[];
  yPred: number[];
}

const schedule: (fn: () => void) => void =
  typeof globalThis.setImmediate === 'function' ? globalThis.setImmediate : (fn) => setTimeout(fn, 0);

/** Lets timers, progress bars and abort signals run between batches. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => schedule(resolve));

export const valKey = (name: string): string => `val${name[0]!.toUpperCase()}${name.slice(1)}`;

function callLoss(loss: Loss, output: Tensor, target: Tensor): Tensor {
  return typeof loss === 'function' ? loss(output, target) : loss.forward(output, target);
}

function metricTable(metrics: FitOptions<unknown>['metrics']): Array<[string, MetricFn]> {
  if (metrics === undefined) return [];
  if (Array.isArray(metrics)) return metrics.map((name) => [name, resolveMetric(name)]);
  if (typeof metrics !== 'object' || metrics === null) {
    throw new ValueError(
      `metrics must be an array of names or an object of functions, got ${typeof metrics}`,
    );
  }
  return Object.entries(metrics).map(([name, fn]) => {
    if (typeof fn !== 'function')
      throw new ValueError(`metrics.${name} must be a function, got ${typeof fn}`);
    return [name, fn];
  });
}

function checkTask(task: unknown, where: string): void {
  const t = task as Partial<Task<unknown>> | null;
  if (
    !t ||
    typeof t.forward !== 'function' ||
    typeof t.target !== 'function' ||
    typeof t.decode !== 'function' ||
    typeof t.decodeTarget !== 'function'
  ) {
    throw new ValueError(`${where}: task must have forward, target, decode and decodeTarget functions`);
  }
}

function isIterable(x: unknown): x is Batches<unknown> {
  return typeof x === 'object' && x !== null && (Symbol.iterator in x || Symbol.asyncIterator in x);
}

async function* batchesOf<B>(data: Batches<B>): AsyncGenerator<B> {
  if (Symbol.asyncIterator in data) yield* data as AsyncIterable<B>;
  else yield* data as Iterable<B>;
}

function lengthOf(data: unknown): number | null {
  const n = (data as { length?: unknown }).length;
  return typeof n === 'number' && Number.isInteger(n) ? n : null;
}

function append(out: number[], values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) out.push(values[i]!);
}

function computeMetrics(
  table: Array<[string, MetricFn]>,
  yTrue: number[],
  yPred: number[],
): Record<string, number> {
  const out: Record<string, number> = {};
  if (yTrue.length === 0) return out;
  for (const [name, fn] of table) out[name] = fn(yTrue, yPred);
  return out;
}

const MAX_WORDS = ['acc', 'f1', 'precision', 'recall', 'auc', 'r2'];
function modeFor(monitor: string): 'min' | 'max' {
  const m = monitor.toLowerCase();
  return MAX_WORDS.some((w) => m.includes(w)) ? 'max' : 'min';
}

function snapshot(model: Module): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()]));
}

function lrOf(optimizer: OptimizerLike): number | undefined {
  const o = optimizer as { lr?: unknown; paramGroups?: Array<{ lr?: unknown }> };
  if (typeof o.lr === 'number') return o.lr;
  const g = o.paramGroups?.[0]?.lr;
  return typeof g === 'number' ? g : undefined;
}

/**
 * Trains `model` for `epochs` passes over `train`, evaluating on `val` after each. Returns
 * the history; stops early when the monitored value stops improving, and after the current
 * batch when `signal` aborts.
 */
export async function fit<B>(model: Module, options: FitOptions<B>): Promise<FitResult> {
  const { task, train, val, epochs, optimizer, loss, scheduler, callbacks = {}, signal } = options;
  checkTask(task, 'fit');
  if (!isIterable(train))
    throw new ValueError('fit: train must be an iterable of batches (a DataLoader or an array)');
  if (val !== undefined && !isIterable(val)) {
    throw new ValueError('fit: val must be an iterable of batches (a DataLoader or an array)');
  }
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new ValueError(`fit: epochs must be a positive integer, got ${epochs}`);
  if (!optimizer || typeof optimizer.step !== 'function' || typeof optimizer.zeroGrad !== 'function') {
    throw new ValueError('fit: optimizer must have step() and zeroGrad()');
  }
  if (
    typeof loss !== 'function' &&
    (typeof loss !== 'object' || loss === null || typeof loss.forward !== 'function')
  ) {
    throw new ValueError('fit: loss must be a function or a module with forward(output, target)');
  }
  const clip = options.clipGradNorm;
  if (clip !== undefined && !(clip > 0 && Number.isFinite(clip))) {
    throw new ValueError(`fit: clipGradNorm must be a positive number, got ${clip}`);
  }
  const initialEpoch = options.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > epochs) {
    throw new ValueError(`fit: initialEpoch must be an integer in [0, ${epochs}], got ${initialEpoch}`);
  }
  const table = metricTable(options.metrics);
  const history: History = options.history ?? {};
  if (options.checkpoint !== undefined && options.checkpointDir !== undefined) {
    throw new ValueError('fit: pass checkpoint or checkpointDir, not both');
  }
  let checkpoint = options.checkpoint;
  if (options.checkpointDir !== undefined) {
    if (typeof options.checkpointDir !== 'string' || options.checkpointDir === '') {
      throw new ValueError(
        `fit: checkpointDir must be a non-empty path, got ${String(options.checkpointDir)}`,
      );
    }
    // Loaded on demand: file access stays out of browser bundles that never checkpoint.
    const { modelDirCheckpoint } = await import('./checkpoint.js');
    const described = (model as Module & { config?: () => Record<string, unknown> }).config?.();
    const architecture = { type: model.constructor.name, ...described };
    checkpoint = modelDirCheckpoint(options.checkpointDir, { architecture, task: 'training' });
  }
  const es = options.earlyStopping;
  const monitor = es?.monitor ?? (val ? 'valLoss' : 'loss');
  const mode = es?.mode ?? modeFor(monitor);
  if (es) {
    const patience = es.patience ?? 3;
    if (!Number.isInteger(patience) || patience < 0) {
      throw new ValueError(`fit: earlyStopping.patience must be a non-negative integer, got ${patience}`);
    }
    if (mode !== 'min' && mode !== 'max') {
      throw new ValueError(`fit: earlyStopping.mode must be 'min' or 'max', got ${String(mode)}`);
    }
    const known = ['loss', 'lr', ...table.map(([n]) => n)];
    const ok = [...known, ...known.map(valKey)];
    if (!ok.includes(monitor) || (monitor.startsWith('val') && !val)) {
      throw new ValueError(
        `fit: earlyStopping.monitor must be one of ${ok.filter((k) => val || !k.startsWith('val')).join(', ')}, got "${monitor}"`,
      );
    }
  }
  const params = model.parameters();
  const batches = lengthOf(train);
  let best: { epoch: number; value: number; weights: Record<string, Tensor> | null } | null = null;
  let sinceBest = 0;
  let stopReason: FitResult['stopReason'] = 'completed';
  let epoch = initialEpoch;

  while (epoch < epochs) {
    if (signal?.aborted) {
      stopReason = 'aborted';
      break;
    }
    await callbacks.onEpochBegin?.(epoch + 1);
    model.train();
    let lossSum = 0;
    let seen = 0;
    const yTrue: number[] = [];
    const yPred: number[] = [];
    let b = 0;
    let aborted = false;
    for await (const batch of batchesOf(train)) {
      optimizer.zeroGrad();
      const output = task.forward(model, batch);
      const target = task.target(batch);
      const l = callLoss(loss, output, target);
      const value = l.item();
      if (!Number.isFinite(value)) {
        throw new KiokuError(
          `fit: the loss became ${value} at epoch ${epoch + 1}, batch ${b + 1}; lower the learning rate or clip gradients`,
        );
      }
      l.backward();
      if (clip !== undefined) {
        const norm = clipGradNorm(params, clip);
        if (!Number.isFinite(norm)) {
          throw new KiokuError(
            `fit: the gradient norm became ${norm} at epoch ${epoch + 1}, batch ${b + 1}; lower the learning rate`,
          );
        }
      }
      optimizer.step();
      const size = target.shape[0] ?? 1;
      lossSum += value * size;
      seen += size;
      if (table.length) {
        append(yTrue, task.decodeTarget(batch));
        append(yPred, task.decode(output));
      }
      b++;
      await callbacks.onBatchEnd?.({
        epoch: epoch + 1,
        batch: b,
        batches,
        loss: value,
        size,
        ...(task.tokens ? { tokens: task.tokens(batch) } : {}),
      });
      await yieldToEventLoop();
      if (signal?.aborted) {
        aborted = true;
        break;
      }
    }
    if (aborted) {
      stopReason = 'aborted';
      break;
    }
    if (seen === 0) throw new ValueError(`fit: train yielded no batches in epoch ${epoch + 1}`);
    const logs: Record<string, number> = { loss: lossSum / seen, ...computeMetrics(table, yTrue, yPred) };
    if (val) {
      const ev = await evaluate(model, val, { task, loss, metrics: Object.fromEntries(table), signal });
      logs.valLoss = ev.loss;
      for (const [k, v] of Object.entries(ev.metrics)) logs[valKey(k)] = v;
    }
    const lr = lrOf(optimizer);
    if (lr !== undefined) logs.lr = lr;
    for (const [k, v] of Object.entries(logs)) (history[k] ??= []).push(v);
    epoch++;

    let stop = false;
    if (es) {
      const value = logs[monitor]!;
      const delta = es.minDelta ?? 0;
      const better =
        best === null || (mode === 'min' ? value < best.value - delta : value > best.value + delta);
      if (better) {
        best = { epoch, value, weights: (es.restoreBest ?? true) ? snapshot(model) : null };
        sinceBest = 0;
      } else if (++sinceBest > (es.patience ?? 3)) {
        stop = true;
      }
    }
    if (scheduler) scheduler.step(logs[monitor] ?? logs.valLoss ?? logs.loss);
    if (checkpoint) {
      await checkpoint(model, {
        epoch,
        optimizer: optimizer.stateDict(),
        scheduler: scheduler?.stateDict() ?? null,
        rng: defaultGenerator.getState(),
        dataLoader: (train as { stateDict?: () => unknown }).stateDict?.() ?? null,
        history,
        best: best && { epoch: best.epoch, value: best.value },
      });
    }
    await callbacks.onEpochEnd?.({ epoch, epochs, logs, history });
    if (stop) {
      stopReason = 'early-stopping';
      break;
    }
  }
  if (best?.weights && (es?.restoreBest ?? true)) model.loadStateDict(best.weights);
  return { history, epochs: epoch, bestEpoch: best?.epoch ?? null, stopReason };
}

/** Mean loss and metrics of `model` over `data`, without gradients, in evaluation mode. */
export async function evaluate<B>(
  model: Module,
  data: Batches<B>,
  options: EvaluateOptions<B>,
): Promise<Evaluation> {
  const { task, loss, signal } = options;
  checkTask(task, 'evaluate');
  if (!isIterable(data)) throw new ValueError('evaluate: data must be an iterable of batches');
  const table = metricTable(options.metrics);
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let seen = 0;
  const yTrue: number[] = [];
  const yPred: number[] = [];
  try {
    for await (const batch of batchesOf(data)) {
      noGrad(() => {
        const output = task.forward(model, batch);
        const target = task.target(batch);
        const size = target.shape[0] ?? 1;
        if (loss) lossSum += callLoss(loss, output, target).item() * size;
        seen += size;
        append(yTrue, task.decodeTarget(batch));
        append(yPred, task.decode(output));
      });
      await yieldToEventLoop();
      if (signal?.aborted) break;
    }
  } finally {
    model.train(wasTraining);
  }
  return {
    loss: loss && seen ? lossSum / seen : Number.NaN,
    metrics: computeMetrics(table, yTrue, yPred),
    yTrue,
    yPred,
  };
}

/** The model's raw outputs for every batch of `data` (no gradients, evaluation mode). */
export async function predict<B>(
  model: Module,
  data: Batches<B>,
  options: { task: Pick<Task<B>, 'forward'> },
): Promise<Tensor[]> {
  if (!options?.task || typeof options.task.forward !== 'function') {
    throw new ValueError('predict: options.task must have a forward(model, batch) function');
  }
  if (!isIterable(data)) throw new ValueError('predict: data must be an iterable of batches');
  const wasTraining = model.training;
  model.eval();
  const out: Tensor[] = [];
  try {
    for await (const batch of batchesOf(data)) {
      out.push(noGrad(() => options.task.forward(model, batch)));
      await yieldToEventLoop();
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}
