import type { Module, Parameter } from '../nn/module.js';
import { clipGradNorm } from '../optim/clip.js';
import { noGrad } from '../tensor/autograd.js';
import { KiokuError, ValueError } from '../tensor/errors.js';
import { activationPool } from '../tensor/pool.js';
import { defaultGenerator } from '../tensor/random.js';
import { dropGradients, trainingStep } from '../tensor/step.js';
import type { Tensor } from '../tensor/tensor.js';
import { append, batchesOf, isIterable, lengthOf, yieldToEventLoop } from './batches.js';
import { checkTask, type FitSettings, fitSettings, metricTable, valKey } from './fit-settings.js';
import type {
  Batches,
  EpochProgress,
  EvaluateOptions,
  Evaluation,
  FitOptions,
  FitResult,
  History,
  Loss,
  OptimizerLike,
  Task,
} from './fit-types.js';
import { NonFiniteError } from './non-finite.js';
import { RunningMetrics } from './running-metrics.js';

/** An epoch's running sums while it trains; a checkpoint saves them as an {@link EpochProgress}. */
interface EpochSums {
  batch: number;
  lossSum: number;
  seen: number;
  skipped: number;
  metrics: RunningMetrics;
}

/**
 * The training loop, generic over a {@link Task}: the task says how a batch runs through the
 * model and what the metrics compare, so text classification and forecasting share one loop.
 * Platform-neutral: checkpoints are written by the {@link CheckpointWriter} the caller passes.
 */

export { yieldToEventLoop } from './batches.js';
export { valKey } from './fit-settings.js';
export type {
  Batches,
  BatchLogs,
  Callbacks,
  CheckpointWriter,
  EarlyStopping,
  EpochLogs,
  EpochProgress,
  EvaluateOptions,
  Evaluation,
  FitOptions,
  FitResult,
  History,
  Loss,
  OptimizerLike,
  ResumeState,
  SchedulerLike,
  Task,
  TrainingState,
} from './fit-types.js';
export { NonFiniteError } from './non-finite.js';

function callLoss(loss: Loss, output: Tensor, target: Tensor): Tensor {
  return typeof loss === 'function' ? loss(output, target) : loss.forward(output, target);
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

/** One `fit` call: its options, settings and the state that a checkpoint saves. */
interface Run<B> {
  model: Module;
  options: FitOptions<B>;
  settings: FitSettings;
  params: Parameter[];
  history: History;
  /** Batches per epoch, when the data knows it. */
  batches: number | null;
  epoch: number;
  step: number;
  skippedBatches: number;
  /** Where a resumed run's unfinished epoch stopped; consumed by the first epoch. */
  progress: EpochProgress | null;
  best: { epoch: number; value: number; weights: Record<string, Tensor> | null } | null;
  sinceBest: number;
  stopReason: FitResult['stopReason'];
}

function startRun<B>(model: Module, options: FitOptions<B>, settings: FitSettings): Run<B> {
  const resume = options.resume;
  const run: Run<B> = {
    model,
    options,
    settings,
    params: model.parameters(),
    history: options.history ?? {},
    batches: lengthOf(options.train),
    epoch: settings.initialEpoch,
    step: resume?.step ?? 0,
    skippedBatches: resume?.skippedBatches ?? 0,
    progress: resume?.progress ?? null,
    best: resume?.best ? { ...resume.best, weights: resume.bestWeights ?? null } : null,
    sinceBest: resume?.sinceBest ?? 0,
    stopReason: 'completed',
  };
  // The checkpointed run had already stopped early.
  const es = settings.earlyStopping;
  if (es && run.sinceBest > es.patience) run.stopReason = 'early-stopping';
  return run;
}

async function saveCheckpoint<B>(run: Run<B>, progress: EpochProgress | null): Promise<void> {
  const { optimizer, scheduler, train } = run.options;
  await run.settings.checkpoint!(run.model, {
    epoch: run.epoch,
    step: run.step,
    progress,
    optimizer: optimizer.stateDict(),
    scheduler: scheduler?.stateDict() ?? null,
    rng: defaultGenerator.getState(),
    dataLoader: (train as { stateDict?: () => unknown }).stateDict?.() ?? null,
    history: run.history,
    best: run.best && { epoch: run.best.epoch, value: run.best.value },
    sinceBest: run.sinceBest,
    bestWeights: run.best?.weights ?? null,
    skippedBatches: run.skippedBatches,
  });
}

/** One optimizer step on `batch`; a non-finite loss or gradient norm takes no step. */
function trainBatch<B>(run: Run<B>, batch: B, sums: EpochSums) {
  const { task, loss, optimizer } = run.options;
  const { clip } = run.settings;
  // The previous step's gradients and this step's tensors are freed once used (see
  // trainingStep), so every step reuses the same buffers.
  dropGradients(run.params, () => optimizer.zeroGrad());
  return trainingStep(() => {
    const output = task.forward(run.model, batch);
    const target = task.target(batch);
    const l = callLoss(loss, output, target);
    const value = l.item();
    let bad: NonFiniteError | null = null;
    if (!Number.isFinite(value)) bad = new NonFiniteError('loss', value, run.epoch + 1, sums.batch + 1);
    else {
      l.backward();
      // Without clipping an infinite bound only measures the norm.
      const norm = clipGradNorm(run.params, clip ?? Number.POSITIVE_INFINITY);
      if (!Number.isFinite(norm))
        bad = new NonFiniteError('gradient norm', norm, run.epoch + 1, sums.batch + 1);
    }
    const size = target.shape[0] ?? 1;
    if (!bad) {
      optimizer.step();
      if (sums.metrics.active) sums.metrics.add(task.decodeTarget(batch), task.decode(output, batch));
    }
    return { value, size, bad };
  });
}

/** Adds a batch's outcome to the epoch's sums; a non-finite one stops or is skipped. */
function countBatch<B>(run: Run<B>, sums: EpochSums, r: ReturnType<typeof trainBatch<B>>): void {
  if (r.bad) {
    dropGradients(run.params, () => run.options.optimizer.zeroGrad());
    if (run.settings.onNonFinite === 'stop') throw r.bad;
    sums.skipped++;
    run.skippedBatches++;
  } else {
    sums.lossSum += r.value * r.size;
    sums.seen += r.size;
  }
  sums.batch++;
  run.step++;
}

/** The epoch's running sums: fresh, or where a resumed checkpoint left them. */
function epochSums<B>(run: Run<B>): EpochSums {
  const p = run.progress;
  run.progress = null;
  const table = run.settings.table;
  return {
    batch: p?.batch ?? 0,
    lossSum: p?.lossSum ?? 0,
    seen: p?.seen ?? 0,
    skipped: p?.skipped ?? 0,
    metrics:
      !p?.metrics && p?.yTrue
        ? RunningMetrics.replaying(table, p.yTrue, p.yPred ?? [])
        : new RunningMetrics(table, p?.metrics),
  };
}

function progressOf(sums: EpochSums): EpochProgress {
  const { batch, lossSum, seen, skipped } = sums;
  return { batch, lossSum, seen, skipped, metrics: sums.metrics.state() };
}

/** One pass over the training data. Returns the epoch's sums, or null when the signal aborted it. */
async function trainPass<B>(run: Run<B>): Promise<EpochSums | null> {
  const { train, task, callbacks = {}, signal } = run.options;
  const every = run.settings.every;
  const sums = epochSums(run);
  // A DataLoader restores its own place in the data order; a plain iterable is replayed and
  // the batches a resumed epoch already did are passed over.
  const selfResuming = typeof (train as { loadStateDict?: unknown }).loadStateDict === 'function';
  let pass = selfResuming ? 0 : sums.batch;
  for await (const batch of batchesOf(train)) {
    if (pass > 0) {
      pass--;
      continue;
    }
    const r = trainBatch(run, batch, sums);
    countBatch(run, sums, r);
    await callbacks.onBatchEnd?.({
      epoch: run.epoch + 1,
      batch: sums.batch,
      batches: run.batches,
      loss: r.value,
      size: r.size,
      ...(task.tokens ? { tokens: task.tokens(batch) } : {}),
    });
    // The last batch of an epoch is checkpointed with the epoch's results instead.
    if (every !== undefined && sums.batch % every === 0 && sums.batch !== run.batches) {
      await saveCheckpoint(run, progressOf(sums));
    }
    await yieldToEventLoop();
    if (signal?.aborted) return null;
  }
  return sums;
}

/** The epoch's logs: training loss and metrics, validation loss and metrics, learning rate. */
async function epochLogs<B>(run: Run<B>, sums: EpochSums): Promise<Record<string, number>> {
  const { task, loss, val, optimizer, signal } = run.options;
  const { table, onNonFinite } = run.settings;
  if (sums.seen === 0 && sums.skipped > 0) {
    throw new KiokuError(
      `fit: every batch of epoch ${run.epoch + 1} had a non-finite loss or gradient (${sums.skipped} skipped); lower the learning rate or check the data for NaN/Infinity`,
    );
  }
  if (sums.seen === 0) throw new ValueError(`fit: train yielded no batches in epoch ${run.epoch + 1}`);
  const logs: Record<string, number> = {
    loss: sums.lossSum / sums.seen,
    ...sums.metrics.values(),
  };
  if (val) {
    const metrics = new RunningMetrics(table);
    logs.valLoss = await evaluatePass(run.model, val, { task, loss, signal }, metrics);
    for (const [k, v] of Object.entries(metrics.values())) logs[valKey(k)] = v;
  }
  const lr = lrOf(optimizer);
  if (lr !== undefined) logs.lr = lr;
  if (onNonFinite === 'skip') logs.skipped = sums.skipped;
  return logs;
}

/** Early stopping's bookkeeping after an epoch; true when patience has run out. */
function patienceRanOut<B>(run: Run<B>, logs: Record<string, number>): boolean {
  const es = run.settings.earlyStopping;
  if (!es) return false;
  const value = logs[es.monitor]!;
  const best = run.best;
  const better =
    best === null ||
    (es.mode === 'min' ? value < best.value - es.minDelta : value > best.value + es.minDelta);
  if (better) {
    run.best = { epoch: run.epoch, value, weights: es.restoreBest ? snapshot(run.model) : null };
    run.sinceBest = 0;
    return false;
  }
  return ++run.sinceBest > es.patience;
}

/** Records an epoch's logs, then early stopping, the scheduler, the checkpoint and the callback. */
async function endEpoch<B>(run: Run<B>, logs: Record<string, number>): Promise<void> {
  for (const [k, v] of Object.entries(logs)) (run.history[k] ??= []).push(v);
  run.epoch++;
  const stop = patienceRanOut(run, logs);
  const { scheduler, callbacks = {}, epochs } = run.options;
  if (scheduler) scheduler.step(logs[run.settings.monitor] ?? logs.valLoss ?? logs.loss);
  if (run.settings.checkpoint) await saveCheckpoint(run, null);
  await callbacks.onEpochEnd?.({ epoch: run.epoch, epochs, logs, history: run.history });
  if (stop) run.stopReason = 'early-stopping';
}

/**
 * Trains `model` for `epochs` passes over `train`, evaluating on `val` after each. Returns
 * the history; stops early when the monitored value stops improving, and after the current
 * batch when `signal` aborts.
 */
export async function fit<B>(model: Module, options: FitOptions<B>): Promise<FitResult> {
  try {
    return await fitEpochs(model, options);
  } finally {
    // The buffers kept for the next step are garbage once training is over, or has failed.
    activationPool.clear();
  }
}

async function fitEpochs<B>(model: Module, options: FitOptions<B>): Promise<FitResult> {
  const run = startRun(model, options, fitSettings(options));
  const { epochs, signal, callbacks = {} } = options;
  while (run.epoch < epochs && run.stopReason === 'completed') {
    if (signal?.aborted) {
      run.stopReason = 'aborted';
      break;
    }
    await callbacks.onEpochBegin?.(run.epoch + 1);
    model.train();
    const sums = await trainPass(run);
    if (sums === null) {
      run.stopReason = 'aborted';
      break;
    }
    await endEpoch(run, await epochLogs(run, sums));
  }
  const es = run.settings.earlyStopping;
  if (run.best?.weights && (es?.restoreBest ?? true)) model.loadStateDict(run.best.weights);
  return {
    history: run.history,
    epochs: run.epoch,
    bestEpoch: run.best?.epoch ?? null,
    stopReason: run.stopReason,
    skippedBatches: run.skippedBatches,
  };
}

/** Mean loss and metrics of `model` over `data`, without gradients, in evaluation mode. */
export async function evaluate<B>(
  model: Module,
  data: Batches<B>,
  options: EvaluateOptions<B>,
): Promise<Evaluation> {
  checkTask(options.task, 'evaluate');
  if (!isIterable(data)) throw new ValueError('evaluate: data must be an iterable of batches');
  const metrics = new RunningMetrics(metricTable(options.metrics));
  const yTrue: number[] = [];
  const yPred: number[] = [];
  const onBatch = (t: ArrayLike<number>, p: ArrayLike<number>): void => {
    append(yTrue, t);
    append(yPred, p);
  };
  const loss = await evaluatePass(model, data, options, metrics, onBatch);
  return { loss, metrics: metrics.values(), yTrue, yPred };
}

/** The mean loss over `data` (NaN without a loss); each batch's decoded values go to `metrics`. */
async function evaluatePass<B>(
  model: Module,
  data: Batches<B>,
  options: EvaluateOptions<B>,
  metrics: RunningMetrics,
  onBatch?: (yTrue: ArrayLike<number>, yPred: ArrayLike<number>) => void,
): Promise<number> {
  const { task, loss, signal } = options;
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let seen = 0;
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
          if (!metrics.active && !onBatch) return;
          const yTrue = task.decodeTarget(batch);
          const yPred = task.decode(output, batch);
          metrics.add(yTrue, yPred);
          onBatch?.(yTrue, yPred);
        }),
      );
      await yieldToEventLoop();
      if (signal?.aborted) break;
    }
  } finally {
    model.train(wasTraining);
  }
  return loss && seen ? lossSum / seen : Number.NaN;
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
