import { IndexError, ValueError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { Dataset } from './dataset.js';
import { columnIndices, type TimeSeries } from './series.js';
import type { RowRange } from './split.js';

export interface WindowOptions {
  /** Input steps T per window. */
  lookback: number;
  /** Future steps to predict. Default 1. */
  horizon?: number;
  /** Rows between consecutive window starts. Default 1. */
  stride?: number;
  /** Input columns (names or indices). Default: all columns. */
  features?: readonly (string | number)[];
  /** Predicted columns. */
  targets: readonly (string | number)[];
  /** The rows the windows live in (a split from chronologicalSplit); no window crosses its ends. */
  range?: RowRange;
}

/** inputs: (T, F) float32 = rows [s, s+T); targets: (horizon·O,) = rows [s+T, s+T+horizon), step-major. */
export interface WindowSample {
  inputs: Tensor;
  targets: Tensor;
}

/**
 * Sliding windows over a series for forecasting. Window i starts at row
 * s = range.start + i·stride; its inputs are the lookback rows before s + lookback and its
 * targets the horizon rows from there on, so inputs never include a target's time step or
 * anything later, and every row of a window lies inside `range`.
 * Batched by the default collate into inputs (B, T, F) and targets (B, horizon·O).
 */
export class WindowDataset implements Dataset<WindowSample>, Iterable<WindowSample> {
  readonly lookback: number;
  readonly horizon: number;
  readonly stride: number;
  readonly range: RowRange;
  readonly featureColumns: readonly number[];
  readonly targetColumns: readonly number[];
  readonly length: number;
  private readonly series: TimeSeries;

  constructor(series: TimeSeries, options: WindowOptions) {
    if (typeof series !== 'object' || series === null || !(series.values instanceof Float32Array)) {
      throw new ValueError('WindowDataset: series must be a TimeSeries (columns, values, length)');
    }
    const { lookback, horizon = 1, stride = 1 } = options;
    for (const [name, v] of [
      ['lookback', lookback],
      ['horizon', horizon],
      ['stride', stride],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new ValueError(`WindowDataset: ${name} must be a positive integer, got ${v}`);
    }
    const range = options.range ?? { start: 0, end: series.length };
    if (
      !Number.isInteger(range.start) ||
      !Number.isInteger(range.end) ||
      range.start < 0 ||
      range.end > series.length ||
      range.start > range.end
    ) {
      throw new ValueError(
        `WindowDataset: range must satisfy 0 ≤ start ≤ end ≤ ${series.length}, got [${range.start}, ${range.end})`,
      );
    }
    this.featureColumns = columnIndices(
      series,
      options.features ?? series.columns.map((_, i) => i),
      'WindowDataset features',
    );
    this.targetColumns = columnIndices(series, options.targets, 'WindowDataset targets');
    this.series = series;
    this.lookback = lookback;
    this.horizon = horizon;
    this.stride = stride;
    this.range = { start: range.start, end: range.end };
    const span = range.end - range.start - lookback - horizon;
    this.length = span < 0 ? 0 : Math.floor(span / stride) + 1;
  }

  /** First input row of window i. */
  start(i: number): number {
    this.check(i);
    return this.range.start + i * this.stride;
  }

  /** Row of window i's first target step. */
  targetRow(i: number): number {
    return this.start(i) + this.lookback;
  }

  get(i: number): WindowSample {
    const s = this.start(i);
    const F = this.series.columns.length;
    const v = this.series.values;
    const fc = this.featureColumns;
    const tc = this.targetColumns;
    const inputs = new Float32Array(this.lookback * fc.length);
    for (let t = 0; t < this.lookback; t++) {
      for (let k = 0; k < fc.length; k++) inputs[t * fc.length + k] = v[(s + t) * F + fc[k]!]!;
    }
    const targets = new Float32Array(this.horizon * tc.length);
    for (let h = 0; h < this.horizon; h++) {
      const row = s + this.lookback + h;
      for (let k = 0; k < tc.length; k++) targets[h * tc.length + k] = v[row * F + tc[k]!]!;
    }
    return {
      inputs: new Tensor(inputs, [this.lookback, fc.length]),
      targets: new Tensor(targets, [this.horizon * tc.length]),
    };
  }

  *[Symbol.iterator](): Iterator<WindowSample> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new IndexError(`WindowDataset: window index must be an integer in [0, ${this.length}), got ${i}`);
    }
  }
}
