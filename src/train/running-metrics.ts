import { ShapeError, ValueError } from '../tensor/errors.js';
import { METRICS, type MetricFn } from './metric-registry.js';
import { type ClassificationReport, reportOfConfusion } from './metrics.js';

/**
 * An epoch's metrics kept as running sums, batch by batch, so training on a million windows
 * does not keep a million decoded values. The sums are added in the order the whole-array
 * metrics of metrics.ts add them, so the numbers are the same to the last bit. A metric
 * function kioku does not know (a user's own) still sees the whole epoch: its values are kept.
 */

type Values = ArrayLike<number>;

/** Running sums of one metric: `add` a batch, `value` of the batches so far; `sums` restorable. */
interface RunningMetric {
  add(yTrue: Values, yPred: Values, offset: number): void;
  value(): number;
  readonly sums: number[];
}

/** Sum of `term(t, p)` over every value, and the count: MAE, MSE, MAPE, sMAPE, accuracy. */
function meanOf(term: (t: number, p: number) => number, finish = (m: number) => m) {
  return (sums: number[] = [0, 0]): RunningMetric => ({
    sums,
    add(yTrue, yPred) {
      let s = sums[0]!;
      for (let i = 0; i < yTrue.length; i++) s += term(yTrue[i]!, yPred[i]!);
      sums[0] = s;
      sums[1] = sums[1]! + yTrue.length;
    },
    value: () => finish(sums[0]! / sums[1]!),
  });
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

function checkLabel(name: string, v: number, arg: string, index: number): void {
  if (!Number.isInteger(v) || v < 0) {
    throw new ValueError(`${name}: ${arg}[${index}] must be a non-negative integer class, got ${v}`);
  }
}

/**
 * A confusion matrix that grows with the largest label seen, as metrics.ts infers the class
 * count from the largest label; `sums` is [k, then the k×k counts row by row]. Its value is
 * `score` of metrics.ts's report of the matrix, padded to at least `minClasses` classes (the
 * binary metrics score class 1 even when no label reached it).
 */
function confusionOf(name: string, score: (r: ClassificationReport) => number, minClasses = 1) {
  return (sums: number[] = [0]): RunningMetric => {
    const grow = (k: number): void => {
      const old = sums[0]!;
      const counts = sums.slice(1);
      sums.length = 1 + k * k;
      sums.fill(0, 1);
      sums[0] = k;
      for (let t = 0; t < old; t++) for (let p = 0; p < old; p++) sums[1 + t * k + p] = counts[t * old + p]!;
    };
    const matrix = (): number[][] => {
      const k = sums[0]!;
      const n = Math.max(k, minClasses);
      return Array.from({ length: n }, (_, t) =>
        Array.from({ length: n }, (_, p) => (t < k && p < k ? sums[1 + t * k + p]! : 0)),
      );
    };
    return {
      sums,
      add(yTrue, yPred, offset) {
        for (let i = 0; i < yTrue.length; i++) {
          const t = yTrue[i]!;
          const p = yPred[i]!;
          checkLabel(name, t, 'yTrue', offset + i);
          checkLabel(name, p, 'yPred', offset + i);
          if (Math.max(t, p) >= sums[0]!) grow(Math.max(t, p) + 1);
          const k = sums[0]!;
          sums[1 + t * k + p]!++;
        }
      },
      value: () => score(reportOfConfusion(matrix())),
    };
  };
}

type Factory = (sums?: number[]) => RunningMetric;

/** The running form of each registered metric, by the registered function. */
const RUNNING = new Map<MetricFn, Factory>([
  [METRICS.accuracy!, meanOf((t, p) => (t === p ? 1 : 0))],
  [METRICS.precision!, confusionOf('precision', (r) => r.precision[1]!, 2)],
  [METRICS.recall!, confusionOf('recall', (r) => r.recall[1]!, 2)],
  [METRICS.f1!, confusionOf('f1', (r) => r.f1[1]!, 2)],
  [METRICS.macroF1!, confusionOf('macroF1', (r) => r.macro.f1)],
  [METRICS.mae!, meanOf((t, p) => Math.abs(t - p))],
  [METRICS.mse!, meanOf((t, p) => (t - p) ** 2)],
  [METRICS.rmse!, meanOf((t, p) => (t - p) ** 2, Math.sqrt)],
  [METRICS.mape!, meanOf((t, p) => Math.abs(t - p) / Math.max(Math.abs(t), Number.EPSILON))],
  [METRICS.smape!, meanOf((t, p) => ratio(2 * Math.abs(t - p), Math.abs(t) + Math.abs(p)))],
]);

/** What a checkpoint keeps of an unfinished epoch's metrics. */
export interface RunningMetricsState {
  /** Values added so far. */
  count: number;
  /** Running sums by metric name. */
  sums: Record<string, number[]>;
  /** The values themselves, kept only for metric functions without a running form. */
  yTrue: number[];
  yPred: number[];
}

/** An epoch's metrics, batch by batch. */
export class RunningMetrics {
  private readonly running = new Map<string, RunningMetric>();
  private readonly whole: Array<[string, MetricFn]> = [];
  private readonly names: string[];
  private readonly yTrue: number[] = [];
  private readonly yPred: number[] = [];
  private count = 0;

  /** `saved` continues a checkpointed epoch. */
  constructor(table: Array<[string, MetricFn]>, saved?: RunningMetricsState) {
    this.names = table.map(([name]) => name);
    for (const [name, fn] of table) {
      const factory = RUNNING.get(fn);
      const sums = saved?.sums[name];
      if (factory) this.running.set(name, factory(sums && [...sums]));
      else this.whole.push([name, fn]);
    }
    if (saved) {
      this.keep(saved.yTrue, saved.yPred);
      this.count = saved.count;
    }
  }

  /**
   * Continues from the decoded values an older checkpoint kept instead of sums: each metric
   * sums them as if they had been added batch by batch.
   */
  static replaying(table: Array<[string, MetricFn]>, yTrue: number[], yPred: number[]): RunningMetrics {
    const metrics = new RunningMetrics(table);
    metrics.add(yTrue, yPred);
    return metrics;
  }

  private keep(yTrue: Values, yPred: Values): void {
    if (this.whole.length === 0) return;
    for (let i = 0; i < yTrue.length; i++) this.yTrue.push(yTrue[i]!);
    for (let i = 0; i < yPred.length; i++) this.yPred.push(yPred[i]!);
  }

  /** Whether any metric is asked for: without one the batches need not be decoded. */
  get active(): boolean {
    return this.running.size > 0 || this.whole.length > 0;
  }

  add(yTrue: Values, yPred: Values): void {
    if (yTrue.length !== yPred.length) {
      throw new ShapeError(
        `metrics: a batch's truth and predictions must have the same length, got ${yTrue.length} and ${yPred.length}`,
      );
    }
    for (const metric of this.running.values()) metric.add(yTrue, yPred, this.count);
    this.keep(yTrue, yPred);
    this.count += yTrue.length;
  }

  /** Each metric over the values added; empty when none were. */
  values(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.count === 0) return out;
    const whole = new Map(this.whole);
    for (const name of this.names) {
      const metric = this.running.get(name);
      out[name] = metric ? metric.value() : whole.get(name)!(this.yTrue, this.yPred);
    }
    return out;
  }

  state(): RunningMetricsState {
    const sums: Record<string, number[]> = {};
    for (const [name, metric] of this.running) sums[name] = [...metric.sums];
    return { count: this.count, sums, yTrue: [...this.yTrue], yPred: [...this.yPred] };
  }
}
