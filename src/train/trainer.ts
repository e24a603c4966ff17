import type { Module } from '../nn/module.js';
import { clipGradNorm } from '../optim/clip.js';
import { noGrad } from '../tensor/autograd.js';
import { KiokuError, ValueError } from '../tensor/errors.js';
import { activationPool } from '../tensor/pool.js';
import { defaultGenerator, type GeneratorState } from '../tensor/random.js';
import { dropGradients, trainingStep } from '../tensor/step.js';
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

/** A checkpoint's place inside an unfinished epoch: the running sums of the batches done. */
export interface EpochProgress {
  /** Batches of the epoch already processed (trained or skipped). */
  batch: number;
  lossSum: number;
  seen: number;
  skipped: number;
  /** Decoded truth and predictions so far, for the epoch's metrics. */
  yTrue: number[];
  yPred: number[];
}

/** What a checkpoint holds besides the weights. */
export interface TrainingState {
  /** Epochs completed. */
  epoch: number;
  /** Batches processed in all, trained or skipped (numbers the checkpoints). */
  step: number;
  /** Set when the checkpoint was taken inside an epoch (see `checkpointEvery`). */
  progress: EpochProgress | null;
  optimizer: unknown;
  scheduler: unknown;
  rng: GeneratorState;
  dataLoader: unknown;
  history: History;
  best: { epoch: number; value: number } | null;
  /** Epochs since the best one, for early stopping. */
  sinceBest: number;
  /** The best epoch's weights when early stopping restores them (stored as tensors). */
  bestWeights: Record<string, Tensor> | null;
  /** Batches skipped for a non-finite loss or gradient so far. */
  skippedBatches: number;
}

/** Writes a checkpoint; `fit` calls it after every epoch (and every `checkpointEvery` batches). */
export type CheckpointWriter = (model: Module, state: TrainingState) => Promise<void>;

/** What `fit` needs to continue a run from a checkpoint (see `resumeFromCheckpoint`). */
export type ResumeState = Pick<
  TrainingState,
  'step' | 'progress' | 'best' | 'sinceBest' | 'bestWeights' | 'skippedBatches'
>;

/**
 * A non-finite loss or gradient norm stopped training. No optimizer step was taken for the
 * batch, so the model and the last checkpoint hold the last good weights.
 */
export class NonFiniteError extends KiokuError {
  override name = 'NonFiniteError';
  readonly epoch: number;
  readonly batch: number;
  readonly quantity: 'loss' | 'gradient norm';
  readonly value: number;
  constructor(quantity: 'loss' | 'gradient norm', value: number, epoch: number, batch: number) {
    super(
      `fit: the ${quantity} became ${value} at epoch ${epoch}, batch ${batch}; training stopped with the ` +
        `weights of the last good batch (lower the learning rate, clip gradients, check the data for ` +
        `NaN/Infinity, or skip such batches with onNonFinite: 'skip')`,
    );
    this.quantity = quantity;
    this.value = value;
    this.epoch = epoch;
    this.batch = batch;
  }
}

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
  /** Also checkpoint after every this many batches inside an epoch. */
  checkpointEvery?: number;
  /**
   * A batch whose loss or gradient norm is NaN or infinite: 'stop' (default) throws a
   * {@link NonFiniteError} before the optimizer step; 'skip' drops the batch and counts it
   * (`skipped` in the history, `skippedBatches` in the result).
   */
  onNonFinite?: 'stop' | 'skip';
  /**
   * Shorthand for `checkpoint: modelDirCheckpoint(dir, …)` (Node only): a kioku model
   * directory rewritten atomically after every epoch, its architecture from `model.config()`.
   */
  checkpointDir?: string;
  /** Epoch to start from (a resumed run); default 0. */
  initialEpoch?: number;
  /** History of a resumed run, extended in place. */
  history?: History;
  /** The rest of a resumed run's state (from `resumeFromCheckpoint`). */
  resume?: ResumeState;
}

export interface FitResult {
  history: History;
  /** Epochs completed, counting a resumed run's earlier ones. */
  epochs: number;
  /** The best epoch (1-based) by the early-stopping monitor, when early stopping is on. */
  bestEpoch: number | null;
  stopReason: 'completed' | 'early-stopping' | 'aborted';
  /** Batches skipped for a non-finite loss or gradient (onNonFinite: 'skip'). */
  skippedBatches: number;
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
  try {
    return await fitSteps(model, options);
  } finally {
    // The buffers kept for the next step are garbage once training is over, or has failed.
    activationPool.clear();
  }
}

async function fitSteps<B>(model: Module, options: FitOptions<B>): Promise<FitResult> {
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
  const onNonFinite = options.onNonFinite ?? 'stop';
  if (onNonFinite !== 'stop' && onNonFinite !== 'skip') {
    throw new ValueError(`fit: onNonFinite must be 'stop' or 'skip', got ${String(onNonFinite)}`);
  }
  const every = options.checkpointEvery;
  if (every !== undefined && (!Number.isInteger(every) || every < 1)) {
    throw new ValueError(`fit: checkpointEvery must be a positive integer, got ${String(every)}`);
  }
  if (every !== undefined && !checkpoint) {
    throw new ValueError('fit: checkpointEvery needs checkpoint or checkpointDir');
  }
  const patience = es?.patience ?? 3;
  const params = model.parameters();
  const batches = lengthOf(train);
  // A DataLoader restores its own place in the data order; a plain iterable is replayed and
  // the batches a resumed epoch already did are passed over.
  const selfResuming = typeof (train as { loadStateDict?: unknown }).loadStateDict === 'function';
  const resume = options.resume;
  let best: { epoch: number; value: number; weights: Record<string, Tensor> | null } | null = resume?.best
    ? { ...resume.best, weights: resume.bestWeights ?? null }
    : null;
  let sinceBest = resume?.sinceBest ?? 0;
  let step = resume?.step ?? 0;
  let skippedBatches = resume?.skippedBatches ?? 0;
  let progress = resume?.progress ?? null;
  let stopReason: FitResult['stopReason'] = 'completed';
  let epoch = initialEpoch;
  // The checkpointed run had already stopped early.
  if (es && sinceBest > patience) stopReason = 'early-stopping';

  const save = async (p: EpochProgress | null): Promise<void> => {
    await checkpoint!(model, {
      epoch,
      step,
      progress: p,
      optimizer: optimizer.stateDict(),
      scheduler: scheduler?.stateDict() ?? null,
      rng: defaultGenerator.getState(),
      dataLoader: (train as { stateDict?: () => unknown }).stateDict?.() ?? null,
      history,
      best: best && { epoch: best.epoch, value: best.value },
      sinceBest,
      bestWeights: best?.weights ?? null,
      skippedBatches,
    });
  };

  while (epoch < epochs && stopReason === 'completed') {
    if (signal?.aborted) {
      stopReason = 'aborted';
      break;
    }
    await callbacks.onEpochBegin?.(epoch + 1);
    model.train();
    let lossSum = progress?.lossSum ?? 0;
    let seen = progress?.seen ?? 0;
    let skipped = progress?.skipped ?? 0;
    const yTrue: number[] = progress ? [...progress.yTrue] : [];
    const yPred: number[] = progress ? [...progress.yPred] : [];
    let b = progress?.batch ?? 0;
    let pass = selfResuming ? 0 : b;
    progress = null;
    let aborted = false;
    for await (const batch of batchesOf(train)) {
      if (pass > 0) {
        pass--;
        continue;
      }
      // The previous step's gradients and this step's tensors are freed once used (see
      // trainingStep), so every step reuses the same buffers.
      dropGradients(params, () => optimizer.zeroGrad());
      const { value, size, bad } = trainingStep(() => {
        const output = task.forward(model, batch);
        const target = task.target(batch);
        const l = callLoss(loss, output, target);
        const value = l.item();
        let bad: NonFiniteError | null = null;
        if (!Number.isFinite(value)) bad = new NonFiniteError('loss', value, epoch + 1, b + 1);
        else {
          l.backward();
          // Without clipping an infinite bound only measures the norm.
          const norm = clipGradNorm(params, clip ?? Number.POSITIVE_INFINITY);
          if (!Number.isFinite(norm)) bad = new NonFiniteError('gradient norm', norm, epoch + 1, b + 1);
        }
        const size = target.shape[0] ?? 1;
        if (!bad) {
          optimizer.step();
          if (table.length) {
            append(yTrue, task.decodeTarget(batch));
            append(yPred, task.decode(output));
          }
        }
        return { value, size, bad };
      });
      if (bad) {
        dropGradients(params, () => optimizer.zeroGrad());
        if (onNonFinite === 'stop') throw bad;
        skipped++;
        skippedBatches++;
      } else {
        lossSum += value * size;
        seen += size;
      }
      b++;
      step++;
      await callbacks.onBatchEnd?.({
        epoch: epoch + 1,
        batch: b,
        batches,
        loss: value,
        size,
        ...(task.tokens ? { tokens: task.tokens(batch) } : {}),
      });
      // The last batch of an epoch is checkpointed with the epoch's results instead.
      if (every !== undefined && b % every === 0 && b !== batches) {
        await save({ batch: b, lossSum, seen, skipped, yTrue, yPred });
      }
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
    if (seen === 0 && skipped > 0) {
      throw new KiokuError(
        `fit: every batch of epoch ${epoch + 1} had a non-finite loss or gradient (${skipped} skipped); lower the learning rate or check the data for NaN/Infinity`,
      );
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
    if (onNonFinite === 'skip') logs.skipped = skipped;
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
      } else if (++sinceBest > patience) {
        stop = true;
      }
    }
    if (scheduler) scheduler.step(logs[monitor] ?? logs.valLoss ?? logs.loss);
    if (checkpoint) await save(null);
    await callbacks.onEpochEnd?.({ epoch, epochs, logs, history });
    if (stop) {
      stopReason = 'early-stopping';
      break;
    }
  }
  if (best?.weights && (es?.restoreBest ?? true)) model.loadStateDict(best.weights);
  return { history, epochs: epoch, bestEpoch: best?.epoch ?? null, stopReason, skippedBatches };
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
      // A step of its own: the batch's outputs are freed once read, as in fit.
      trainingStep(() =>
        noGrad(() => {
          const output = task.forward(model, batch);
          const target = task.target(batch);
          const size = target.shape[0] ?? 1;
          if (loss) lossSum += callLoss(loss, output, target).item() * size;
          seen += size;
          append(yTrue, task.decodeTarget(batch));
          append(yPred, task.decode(output));
        }),
      );
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
