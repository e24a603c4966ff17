import { ValueError } from '../tensor/errors.js';
import { isIterable } from './batches.js';
import type { CheckpointWriter, FitOptions, Task } from './fit-types.js';
import { type MetricFn, resolveMetric } from './metric-registry.js';

/** `fit`'s options checked up front and resolved to the settings the loop runs with. */

export interface FitSettings {
  /** Metrics by name, computed on the decoded truth and predictions. */
  table: Array<[string, MetricFn]>;
  clip: number | undefined;
  initialEpoch: number;
  checkpoint: CheckpointWriter | undefined;
  /** Checkpoint every this many batches inside an epoch. */
  every: number | undefined;
  onNonFinite: 'stop' | 'skip';
  /** Early stopping, when asked for: the history key watched and how. */
  earlyStopping: {
    monitor: string;
    mode: 'min' | 'max';
    patience: number;
    minDelta: number;
    restoreBest: boolean;
  } | null;
  /** The value a scheduler is stepped with: the monitor, else valLoss, else loss. */
  monitor: string;
}

export const valKey = (name: string): string => `val${name[0]!.toUpperCase()}${name.slice(1)}`;

export function metricTable(metrics: FitOptions<unknown>['metrics']): Array<[string, MetricFn]> {
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

export function checkTask(task: unknown, where: string): void {
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

const MAX_WORDS = ['acc', 'f1', 'precision', 'recall', 'auc', 'r2'];
function modeFor(monitor: string): 'min' | 'max' {
  const m = monitor.toLowerCase();
  return MAX_WORDS.some((w) => m.includes(w)) ? 'max' : 'min';
}

/** The data, epochs, optimizer, loss, clipping and starting epoch. */
function checkBasics<B>(o: FitOptions<B>): void {
  checkTask(o.task, 'fit');
  if (!isIterable(o.train))
    throw new ValueError('fit: train must be an iterable of batches (a DataLoader or an array)');
  if (o.val !== undefined && !isIterable(o.val)) {
    throw new ValueError('fit: val must be an iterable of batches (a DataLoader or an array)');
  }
  if (!Number.isInteger(o.epochs) || o.epochs < 1)
    throw new ValueError(`fit: epochs must be a positive integer, got ${o.epochs}`);
  const opt = o.optimizer;
  if (!opt || typeof opt.step !== 'function' || typeof opt.zeroGrad !== 'function') {
    throw new ValueError('fit: optimizer must have step() and zeroGrad()');
  }
  const loss = o.loss;
  if (
    typeof loss !== 'function' &&
    (typeof loss !== 'object' || loss === null || typeof loss.forward !== 'function')
  ) {
    throw new ValueError('fit: loss must be a function or a module with forward(output, target)');
  }
  const clip = o.clipGradNorm;
  if (clip !== undefined && !(clip > 0 && Number.isFinite(clip))) {
    throw new ValueError(`fit: clipGradNorm must be a positive number, got ${clip}`);
  }
  const initialEpoch = o.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > o.epochs) {
    throw new ValueError(`fit: initialEpoch must be an integer in [0, ${o.epochs}], got ${initialEpoch}`);
  }
}

function earlyStopping<B>(o: FitOptions<B>, table: Array<[string, MetricFn]>): FitSettings['earlyStopping'] {
  const es = o.earlyStopping;
  if (!es) return null;
  const monitor = es.monitor ?? (o.val ? 'valLoss' : 'loss');
  const mode = es.mode ?? modeFor(monitor);
  const patience = es.patience ?? 3;
  if (!Number.isInteger(patience) || patience < 0) {
    throw new ValueError(`fit: earlyStopping.patience must be a non-negative integer, got ${patience}`);
  }
  if (mode !== 'min' && mode !== 'max') {
    throw new ValueError(`fit: earlyStopping.mode must be 'min' or 'max', got ${String(mode)}`);
  }
  const known = ['loss', 'lr', ...table.map(([n]) => n)];
  const ok = [...known, ...known.map(valKey)];
  if (!ok.includes(monitor) || (monitor.startsWith('val') && !o.val)) {
    throw new ValueError(
      `fit: earlyStopping.monitor must be one of ${ok.filter((k) => o.val || !k.startsWith('val')).join(', ')}, got "${monitor}"`,
    );
  }
  return { monitor, mode, patience, minDelta: es.minDelta ?? 0, restoreBest: es.restoreBest ?? true };
}

/** Checks every option of `fit` and resolves the defaults. */
export function fitSettings<B>(o: FitOptions<B>): FitSettings {
  checkBasics(o);
  const table = metricTable(o.metrics);
  if ((o as { checkpointDir?: unknown }).checkpointDir !== undefined) {
    // The shorthand wrote files from inside the loop, which kept the loop out of browser bundles.
    throw new ValueError(
      "fit: checkpointDir is not an option; pass checkpoint: modelDirCheckpoint(dir) from kioku's Node entry",
    );
  }
  const es = earlyStopping(o, table);
  const onNonFinite = o.onNonFinite ?? 'stop';
  if (onNonFinite !== 'stop' && onNonFinite !== 'skip') {
    throw new ValueError(`fit: onNonFinite must be 'stop' or 'skip', got ${String(onNonFinite)}`);
  }
  const every = o.checkpointEvery;
  if (every !== undefined && (!Number.isInteger(every) || every < 1)) {
    throw new ValueError(`fit: checkpointEvery must be a positive integer, got ${String(every)}`);
  }
  if (every !== undefined && !o.checkpoint) {
    throw new ValueError('fit: checkpointEvery needs a checkpoint writer');
  }
  return {
    table,
    clip: o.clipGradNorm,
    initialEpoch: o.initialEpoch ?? 0,
    checkpoint: o.checkpoint,
    every,
    onNonFinite,
    earlyStopping: es,
    monitor: es?.monitor ?? (o.val ? 'valLoss' : 'loss'),
  };
}
