import { type BatchedStream, batchify } from '../../data/lm-stream.js';
import type { LanguageModel, LmState } from '../../nn/language-model.js';
import { Adam } from '../../optim/adam.js';
import { DTypeError, ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { OptimizerLike, SchedulerLike } from '../trainer.js';
import type { LmScore } from './score.js';

/** The options of `trainLanguageModel`, its events and its result, and their checks. */

export interface LmTrainOptions {
  /** The training token stream. */
  train: Int32Array;
  /** A validation stream, evaluated after every epoch (and every `evalEvery` steps). */
  val?: Int32Array;
  /** Parallel streams B (default 32). */
  batchSize?: number;
  /** Steps per chunk, the truncation length (default 64). */
  bptt?: number;
  /** Passes over the training stream (default 1). */
  epochs?: number;
  /** Default: Adam with `lr`. */
  optimizer?: OptimizerLike;
  /** Learning rate of the default Adam (default 2e-3); not used with `optimizer`. */
  lr?: number;
  /**
   * A cosine decay of the learning rate, from the optimizer's rate at the start of the run down
   * to this one at its end. The run ends after its epochs or at `maxSeconds`, whichever comes
   * first, so the decay follows whichever is further along: steps done over steps planned, or
   * seconds spent over `maxSeconds`. Not used with `scheduler`.
   */
  decayTo?: number;
  /** Clip the global gradient norm to this before each step (default 1; Infinity turns it off). */
  clipGradNorm?: number;
  /** Stepped after every epoch with the validation loss (or after every step, see below). */
  scheduler?: SchedulerLike;
  /** When the scheduler steps: 'epoch' (default, given the validation nats) or 'step'. */
  schedulerInterval?: 'epoch' | 'step';
  /** Also evaluate after every this many steps (counted over the run), besides at epoch ends. */
  evalEvery?: number;
  /** Streams of the validation pass (default 10). */
  evalBatchSize?: number;
  /**
   * The time for training and its evaluations, the closing one included: training stops when
   * the seconds spent plus the expected length of one more evaluation reach it.
   */
  maxSeconds?: number;
  /**
   * Evaluations of the validation stream's length that `maxSeconds` leaves time for after
   * training (default 1, the closing one; a caller that scores a test stream of about the same
   * length afterwards passes 2).
   */
  closingEvaluations?: number;
  /** Put back the weights of the best evaluation when training ends (default true with `val`). */
  restoreBest?: boolean;
  /** A chunk whose loss or gradient norm is not finite: throw (default) or skip it, restarting the state. */
  onNonFinite?: 'stop' | 'skip';
  /**
   * Called with the run's state after every evaluation, every `checkpointEvery` steps and when
   * training stops; awaited. Store it (with the model, optimizer and generator) to resume.
   */
  checkpoint?: (point: LmResumePoint) => void | Promise<void>;
  /** Also checkpoint every this many steps. */
  checkpointEvery?: number;
  /**
   * Continue a run from a checkpoint's point; the caller has already restored the model, the
   * optimizer, the scheduler and the default generator.
   */
  resume?: LmResumePoint;
  signal?: AbortSignal;
  onEvent?: (event: LmTrainEvent) => void | Promise<void>;
  /** Milliseconds since some fixed point (default `performance.now`); for tests and replays. */
  clock?: () => number;
}

/** Reported after every step, and after every evaluation. */
export type LmTrainEvent =
  | {
      type: 'step';
      epoch: number;
      step: number;
      stepsPerEpoch: number;
      /** This chunk's mean cross-entropy in nats. */
      loss: number;
      tokens: number;
      lr: number | undefined;
      seconds: number;
    }
  | {
      type: 'eval';
      epoch: number;
      step: number;
      train: number;
      val: LmScore;
      seconds: number;
      /** Training tokens so far. */
      tokens: number;
    };

export interface LmHistory {
  /** Steps taken when each evaluation ran. */
  step: number[];
  /** Fractional epochs at each evaluation. */
  epoch: number[];
  /** Mean training cross-entropy (nats) since the previous evaluation. */
  trainNats: number[];
  valNats: number[];
  valBits: number[];
  seconds: number[];
}

export interface LmTrainResult {
  history: LmHistory;
  /** The best validation score (the weights kept with restoreBest), or null without val. */
  best: LmScore | null;
  steps: number;
  tokens: number;
  seconds: number;
  /** Chunks skipped for a non-finite loss or gradient (with onNonFinite 'skip'). */
  skipped: number;
  stopReason: 'completed' | 'time' | 'aborted';
}

export interface LmSettings {
  stream: BatchedStream;
  bptt: number;
  epochs: number;
  optimizer: OptimizerLike;
  clip: number;
  every: number;
  checkpointEvery: number;
  maxMs: number;
  closingEvaluations: number;
  decayTo: number | null;
  skipNonFinite: boolean;
  restoreBest: boolean;
  clock: () => number;
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ValueError(`trainLanguageModel: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

function checkStreams(o: LmTrainOptions): void {
  for (const [name, ids] of [
    ['train', o.train],
    ['val', o.val],
  ] as const) {
    if (ids !== undefined && !(ids instanceof Int32Array)) {
      throw new DTypeError(
        `trainLanguageModel: ${name} must be an Int32Array token stream, got ${typeof ids}`,
      );
    }
  }
  if (o.train === undefined)
    throw new ValueError('trainLanguageModel: train (an Int32Array token stream) is required');
}

function checkSchedule(o: LmTrainOptions): void {
  if (o.optimizer !== undefined && o.lr !== undefined) {
    throw new ValueError('trainLanguageModel: lr sets the default Adam; with optimizer, set the rate there');
  }
  if (o.schedulerInterval !== undefined && o.scheduler === undefined) {
    throw new ValueError('trainLanguageModel: schedulerInterval needs a scheduler');
  }
  const interval = o.schedulerInterval ?? 'epoch';
  if (interval !== 'epoch' && interval !== 'step') {
    throw new ValueError(
      `trainLanguageModel: schedulerInterval must be 'epoch' or 'step', got ${String(interval)}`,
    );
  }
  if (o.decayTo !== undefined) {
    if (o.scheduler !== undefined)
      throw new ValueError('trainLanguageModel: decayTo and scheduler exclude each other');
    if (typeof o.decayTo !== 'number' || !(o.decayTo >= 0) || !Number.isFinite(o.decayTo)) {
      throw new ValueError(
        `trainLanguageModel: decayTo must be a learning rate ≥ 0, got ${String(o.decayTo)}`,
      );
    }
  }
  if (o.onNonFinite !== undefined && o.onNonFinite !== 'stop' && o.onNonFinite !== 'skip') {
    throw new ValueError(
      `trainLanguageModel: onNonFinite must be 'stop' or 'skip', got ${String(o.onNonFinite)}`,
    );
  }
}

/** The options checked, with their defaults. */
export function lmSettings(model: LanguageModel, o: LmTrainOptions): LmSettings {
  if (typeof o !== 'object' || o === null)
    throw new ValueError('trainLanguageModel: options must be an object');
  checkStreams(o);
  checkSchedule(o);
  const clip = o.clipGradNorm ?? 1;
  if (typeof clip !== 'number' || !(clip > 0)) {
    throw new ValueError(`trainLanguageModel: clipGradNorm must be a number > 0, got ${String(clip)}`);
  }
  const maxSeconds = o.maxSeconds ?? Number.POSITIVE_INFINITY;
  if (typeof maxSeconds !== 'number' || !(maxSeconds > 0)) {
    throw new ValueError(`trainLanguageModel: maxSeconds must be a number > 0, got ${String(maxSeconds)}`);
  }
  const never = Number.POSITIVE_INFINITY;
  return {
    stream: batchify(o.train, positiveInt('batchSize', o.batchSize ?? 32)),
    bptt: positiveInt('bptt', o.bptt ?? 64),
    epochs: positiveInt('epochs', o.epochs ?? 1),
    optimizer: o.optimizer ?? new Adam(model.parameters(), { lr: o.lr ?? 2e-3 }),
    clip,
    every: o.evalEvery === undefined ? never : positiveInt('evalEvery', o.evalEvery),
    checkpointEvery:
      o.checkpointEvery === undefined ? never : positiveInt('checkpointEvery', o.checkpointEvery),
    maxMs: maxSeconds * 1000,
    closingEvaluations: positiveInt('closingEvaluations', o.closingEvaluations ?? 1),
    decayTo: o.decayTo ?? null,
    skipNonFinite: o.onNonFinite === 'skip',
    restoreBest: o.restoreBest ?? o.val !== undefined,
    clock: o.clock ?? (() => performance.now()),
  };
}

/**
 * Where a language-model run stands, as `trainLanguageModel` hands it to its checkpoint writer
 * and takes it back to resume: the stream position, the hidden state carried into the next
 * chunk, the counters and the best evaluation. `resume-point.ts` packs it into a checkpoint's
 * training state (the format of `fit`'s checkpoints).
 */
export interface LmResumePoint {
  /** Epochs completed. */
  epoch: number;
  /** Chunks trained in the current epoch. */
  chunk: number;
  step: number;
  tokens: number;
  /** Seconds of training (and evaluation) so far; the time budget counts them. */
  seconds: number;
  skipped: number;
  /** The hidden state the next chunk starts from (null at an epoch's start). */
  state: LmState | null;
  /** Training loss summed (per token) since the last evaluation, and the tokens it covers. */
  trainSum: number;
  trainCount: number;
  /** The rate a `decayTo` decay started from. */
  baseLr: number | null;
  history: LmHistory;
  best: LmScore | null;
  bestWeights: Record<string, Tensor> | null;
}
