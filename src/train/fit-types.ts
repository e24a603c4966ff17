import type { Module } from '../nn/module.js';
import type { GeneratorState } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { MetricFn } from './metric-registry.js';
import type { RunningMetricsState } from './running-metrics.js';

/**
 * The types of the training loop: what `fit` and `evaluate` take and return, and what a
 * checkpoint holds. Kept apart from the loop so checkpoint code can use them without importing it.
 */

/** How one kind of problem runs a batch. */
export interface Task<B> {
  /** The model's output for a batch: logits (B, O) or values (B, …). */
  forward(model: Module, batch: B): Tensor;
  /** The loss target of a batch (class ids (B,) or values shaped like the output). */
  target(batch: B): Tensor;
  /**
   * What metrics compare on the prediction side: class ids, or values in the data's units.
   * `batch` is the batch the output came from (a forecaster decodes relative to each window).
   */
  decode(output: Tensor, batch: B): ArrayLike<number>;
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
  /** Batches done in this epoch. */
  batch: number;
  /** Batches per epoch when the data knows its length. */
  batches: number | null;
  loss: number;
  /** Examples in the batch. */
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
  /** The epoch's metrics so far, as running sums. */
  metrics?: RunningMetricsState;
  /** The decoded truth and predictions so far, as checkpoints kept them before running sums. */
  yTrue?: number[];
  yPred?: number[];
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

/**
 * Writes a checkpoint; `fit` calls it after every epoch (and every `checkpointEvery` batches).
 * In Node, `modelDirCheckpoint(dir)` and `rollingCheckpoints(root, config)` write model directories.
 */
export type CheckpointWriter = (model: Module, state: TrainingState) => Promise<void>;

/** What `fit` needs to continue a run from a checkpoint (see `restoreTrainingState`). */
export type ResumeState = Pick<
  TrainingState,
  'step' | 'progress' | 'best' | 'sinceBest' | 'bestWeights' | 'skippedBatches'
>;

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
  /** Saves a checkpoint after every epoch (in Node, e.g. `modelDirCheckpoint(dir)`). */
  checkpoint?: CheckpointWriter;
  /** Also checkpoint after every this many batches inside an epoch. */
  checkpointEvery?: number;
  /**
   * A batch whose loss or gradient norm is NaN or infinite: 'stop' (default) throws a
   * NonFiniteError before the optimizer step; 'skip' drops the batch and counts it
   * (`skipped` in the history, `skippedBatches` in the result).
   */
  onNonFinite?: 'stop' | 'skip';
  /** Epoch to start from (a resumed run); default 0. */
  initialEpoch?: number;
  /** History of a resumed run, extended in place. */
  history?: History;
  /** The rest of a resumed run's state (from `restoreTrainingState`). */
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
