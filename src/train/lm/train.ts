import { type BatchedStream, batchify, chunkCount, type LmChunk, lmChunk } from '../../data/lm-stream.js';
import { detachState, type LanguageModel, type LmState } from '../../nn/language-model.js';
import { crossEntropy } from '../../nn/losses.js';
import { reshape } from '../../ops/shape.js';
import { Adam } from '../../optim/adam.js';
import { clipGradNorm } from '../../optim/clip.js';
import { DTypeError, ValueError } from '../../tensor/errors.js';
import { dropGradients, trainingStep } from '../../tensor/step.js';
import type { Tensor } from '../../tensor/tensor.js';
import { NonFiniteError, type OptimizerLike, type SchedulerLike } from '../trainer.js';
import { evaluateLanguageModel } from './evaluate.js';
import { type LmScore, yieldToEventLoop } from './score.js';

/*
 * Stateful truncated back-propagation through time, as PyTorch's word_language_model example:
 * the training stream is cut into B parallel streams read in order, `bptt` steps per chunk;
 * the hidden state is carried from chunk to chunk and detached between them, so gradients
 * flow back at most `bptt` steps while the state remembers further.
 */

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
  /** Stop after this many seconds (checked after each step); a last evaluation follows. */
  maxSeconds?: number;
  /** Put back the weights of the best evaluation when training ends (default true with `val`). */
  restoreBest?: boolean;
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
  | { type: 'eval'; epoch: number; step: number; train: number; val: LmScore; seconds: number };

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
  stopReason: 'completed' | 'time' | 'aborted';
}

interface Settings {
  stream: BatchedStream;
  bptt: number;
  epochs: number;
  optimizer: OptimizerLike;
  clip: number;
  every: number;
  maxMs: number;
  restoreBest: boolean;
  clock: () => number;
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ValueError(`trainLanguageModel: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

function settingsOf(model: LanguageModel, o: LmTrainOptions): Settings {
  if (typeof o !== 'object' || o === null)
    throw new ValueError('trainLanguageModel: options must be an object');
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
  const clip = o.clipGradNorm ?? 1;
  if (typeof clip !== 'number' || !(clip > 0)) {
    throw new ValueError(`trainLanguageModel: clipGradNorm must be a number > 0, got ${String(clip)}`);
  }
  const maxSeconds = o.maxSeconds ?? Number.POSITIVE_INFINITY;
  if (typeof maxSeconds !== 'number' || !(maxSeconds > 0)) {
    throw new ValueError(`trainLanguageModel: maxSeconds must be a number > 0, got ${String(maxSeconds)}`);
  }
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
  return {
    stream: batchify(o.train, positiveInt('batchSize', o.batchSize ?? 32)),
    bptt: positiveInt('bptt', o.bptt ?? 64),
    epochs: positiveInt('epochs', o.epochs ?? 1),
    optimizer: o.optimizer ?? new Adam(model.parameters(), { lr: o.lr ?? 2e-3 }),
    clip,
    every: o.evalEvery === undefined ? Number.POSITIVE_INFINITY : positiveInt('evalEvery', o.evalEvery),
    maxMs: maxSeconds * 1000,
    restoreBest: o.restoreBest ?? o.val !== undefined,
    clock: o.clock ?? (() => performance.now()),
  };
}

function lrOf(optimizer: OptimizerLike): number | undefined {
  const lr = (optimizer as { paramGroups?: Array<{ lr?: unknown }> }).paramGroups?.[0]?.lr;
  return typeof lr === 'number' ? lr : undefined;
}

/**
 * One optimisation step on a chunk from `state`; returns the chunk's mean loss (nats) and the
 * new state, detached (inside the step, so its buffers outlive it).
 */
function trainChunk(
  model: LanguageModel,
  chunk: LmChunk,
  state: LmState | null,
  s: Settings,
): { loss: number; state: LmState; norm: number } {
  const params = model.parameters();
  dropGradients(params, () => s.optimizer.zeroGrad());
  return trainingStep(() => {
    const [logits, next] = model.forward(chunk.inputs, state);
    const n = chunk.targets.size;
    const loss = crossEntropy(reshape(logits, [n, logits.shape[2]!]), reshape(chunk.targets, [n]));
    const value = loss.item();
    let norm = Number.NaN;
    if (Number.isFinite(value)) {
      loss.backward();
      norm = clipGradNorm(params, s.clip);
      if (Number.isFinite(norm)) s.optimizer.step();
    }
    return { loss: value, state: detachState(next), norm };
  });
}

/** Counters of a run and its evaluations. */
class RunLog {
  readonly history: LmHistory = { step: [], epoch: [], trainNats: [], valNats: [], valBits: [], seconds: [] };
  best: LmScore | null = null;
  bestWeights: Record<string, Tensor> | null = null;
  step = 0;
  tokens = 0;
  private sum = 0;
  private count = 0;
  private readonly started: number;

  constructor(
    private readonly model: LanguageModel,
    private readonly s: Settings,
    private readonly options: LmTrainOptions,
  ) {
    this.started = s.clock();
  }

  seconds(): number {
    return (this.s.clock() - this.started) / 1000;
  }

  outOfTime(): boolean {
    return this.s.clock() - this.started >= this.s.maxMs;
  }

  addChunk(loss: number, tokens: number): void {
    this.step++;
    this.tokens += tokens;
    this.sum += loss * tokens;
    this.count += tokens;
  }

  /** Evaluates on the validation stream (when there is one) and records the result. */
  async evaluate(epoch: number): Promise<void> {
    const train = this.count > 0 ? this.sum / this.count : Number.NaN;
    this.sum = this.count = 0;
    const { val, evalBatchSize = 10, signal, onEvent } = this.options;
    if (!val) return;
    const score = await evaluateLanguageModel(this.model, val, { batch: evalBatchSize, signal });
    const h = this.history;
    h.step.push(this.step);
    h.epoch.push(epoch);
    h.trainNats.push(train);
    h.valNats.push(score.nats);
    h.valBits.push(score.bits);
    h.seconds.push(this.seconds());
    if (this.best === null || score.nats < this.best.nats) {
      this.best = score;
      if (this.s.restoreBest) this.bestWeights = snapshot(this.model);
    }
    await onEvent?.({ type: 'eval', epoch, step: this.step, train, val: score, seconds: this.seconds() });
  }
}

/** Trains `model` on `options.train` with stateful truncated BPTT; see {@link LmTrainOptions}. */
export async function trainLanguageModel(
  model: LanguageModel,
  options: LmTrainOptions,
): Promise<LmTrainResult> {
  const s = settingsOf(model, options);
  const { scheduler, signal, onEvent } = options;
  const perStep = scheduler && options.schedulerInterval === 'step';
  const stepsPerEpoch = chunkCount(s.stream, s.bptt);
  const log = new RunLog(model, s, options);
  let stopReason: LmTrainResult['stopReason'] = 'completed';
  model.train();
  for (let epoch = 0; epoch < s.epochs && stopReason === 'completed'; epoch++) {
    let state: LmState | null = null;
    for (let i = 0; i < stepsPerEpoch; i++) {
      const chunk = lmChunk(s.stream, i * s.bptt, s.bptt);
      const r = trainChunk(model, chunk, state, s);
      if (!Number.isFinite(r.loss)) throw new NonFiniteError('loss', r.loss, epoch + 1, i + 1);
      if (!Number.isFinite(r.norm)) throw new NonFiniteError('gradient norm', r.norm, epoch + 1, i + 1);
      state = r.state;
      log.addChunk(r.loss, chunk.targets.size);
      if (perStep) scheduler.step();
      const { step } = log;
      const lr = lrOf(s.optimizer);
      const seconds = log.seconds();
      await onEvent?.({
        type: 'step',
        epoch: epoch + 1,
        step,
        stepsPerEpoch,
        loss: r.loss,
        tokens: chunk.targets.size,
        lr,
        seconds,
      });
      await yieldToEventLoop();
      if (signal?.aborted) stopReason = 'aborted';
      else if (log.outOfTime()) stopReason = 'time';
      const last = i + 1 === stepsPerEpoch;
      if (last || stopReason !== 'completed' || step % s.every === 0) {
        await log.evaluate(epoch + (i + 1) / stepsPerEpoch);
        model.train();
      }
      if (stopReason !== 'completed') break;
    }
    if (scheduler && !perStep) scheduler.step(log.history.valNats.at(-1));
  }
  if (log.bestWeights) model.loadStateDict(log.bestWeights);
  model.eval();
  return {
    history: log.history,
    best: log.best,
    steps: log.step,
    tokens: log.tokens,
    seconds: log.seconds(),
    stopReason,
  };
}

function snapshot(model: LanguageModel): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.clone()]));
}
