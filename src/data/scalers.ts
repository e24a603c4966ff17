import { ShapeError, ValueError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { columnIndices, type TimeSeries } from './series.js';
import type { RowRange } from './split.js';

/** Saved form of a fitted scaler: y = (x − shift) / scale per column. */
export interface ScalerJSON {
  type: 'standard' | 'minmax';
  columns: string[] | null;
  shift: number[];
  scale: number[];
  featureRange?: [number, number];
}

/**
 * Shared machinery: a scaler maps column c by y = (x − shift[c]) / scale[c] (plus an offset
 * for min-max). It is fitted on a row range — the training split — and never reads other rows.
 */
abstract class Scaler {
  protected shiftValues: Float64Array | null = null;
  protected scaleValues: Float64Array | null = null;
  protected columnNames: string[] | null = null;
  protected abstract readonly kind: 'standard' | 'minmax';
  protected abstract offset(): number;

  /**
   * Fits on rows [rows.start, rows.end) of a series or of an (N, F) tensor. Pass the training
   * split so validation and test statistics never leak into the model.
   */
  fit(data: TimeSeries | Tensor, rows?: RowRange): this {
    const { values, N, F, columns } = matrix(data, `${this.constructor.name}.fit`);
    const range = rows ?? { start: 0, end: N };
    if (
      !Number.isInteger(range.start) ||
      !Number.isInteger(range.end) ||
      range.start < 0 ||
      range.end > N ||
      range.end <= range.start
    ) {
      throw new ValueError(
        `${this.constructor.name}.fit: rows must be a non-empty range inside [0, ${N}), got [${range.start}, ${range.end})`,
      );
    }
    for (let r = range.start; r < range.end; r++) {
      for (let c = 0; c < F; c++) {
        if (!Number.isFinite(values[r * F + c])) {
          throw new ValueError(
            `${this.constructor.name}.fit: row ${r}, column ${columns?.[c] ?? c} is ${values[r * F + c]}; apply a missing-value policy first`,
          );
        }
      }
    }
    const [shift, scale] = this.statistics(values, F, range);
    this.shiftValues = shift;
    this.scaleValues = scale;
    this.columnNames = columns ? [...columns] : null;
    return this;
  }

  protected abstract statistics(
    values: Float32Array,
    F: number,
    rows: RowRange,
  ): [Float64Array, Float64Array];

  get fitted(): boolean {
    return this.shiftValues !== null;
  }

  /** Scales every row; returns the same kind of value it was given. */
  transform<X extends TimeSeries | Tensor>(
    data: X,
    options: { columns?: readonly (string | number)[] } = {},
  ): X {
    return this.apply(data, options.columns, false, 'transform');
  }

  /**
   * Undoes the scaling. `columns` selects which fitted columns the last dimension holds, e.g.
   * the target columns when un-scaling predictions.
   */
  inverseTransform<X extends TimeSeries | Tensor>(
    data: X,
    options: { columns?: readonly (string | number)[] } = {},
  ): X {
    return this.apply(data, options.columns, true, 'inverseTransform');
  }

  private apply<X extends TimeSeries | Tensor>(
    data: X,
    columns: readonly (string | number)[] | undefined,
    inverse: boolean,
    what: string,
  ): X {
    const name = `${this.constructor.name}.${what}`;
    if (this.shiftValues === null || this.scaleValues === null)
      throw new ValueError(`${name}: call fit() first`);
    const { values, F } = matrix(data, name);
    const cols =
      columns === undefined
        ? Array.from(this.shiftValues, (_, i) => i)
        : columnIndices(
            { columns: this.columnNames ?? Array.from(this.shiftValues, (_, i) => String(i)) },
            columns,
            name,
          );
    if (cols.length !== F) {
      throw new ShapeError(`${name}: data has ${F} columns but the scaler maps ${cols.length}`);
    }
    const off = this.offset();
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const c = cols[i % F]!;
      const shift = this.shiftValues[c]!;
      const scale = this.scaleValues[c]!;
      out[i] = inverse ? (values[i]! - off) * scale + shift : (values[i]! - shift) / scale + off;
    }
    if (data instanceof Tensor) return new Tensor(out, data.shape) as X;
    return { ...(data as TimeSeries), values: out } as X;
  }

  toJSON(): ScalerJSON {
    if (this.shiftValues === null || this.scaleValues === null) {
      throw new ValueError(`${this.constructor.name}.toJSON: call fit() first`);
    }
    return {
      type: this.kind,
      columns: this.columnNames,
      shift: Array.from(this.shiftValues),
      scale: Array.from(this.scaleValues),
    };
  }

  protected restore(json: ScalerJSON, what: string): void {
    if (typeof json !== 'object' || json === null || json.type !== this.kind) {
      throw new ValueError(
        `${what}: expected a '${this.kind}' scaler, got ${json === null ? 'null' : String(json?.type)}`,
      );
    }
    const { shift, scale, columns } = json;
    if (
      !Array.isArray(shift) ||
      !Array.isArray(scale) ||
      shift.length !== scale.length ||
      shift.length === 0
    ) {
      throw new ValueError(`${what}: shift and scale must be non-empty arrays of equal length`);
    }
    if (![...shift, ...scale].every(Number.isFinite) || scale.some((s) => s <= 0)) {
      throw new ValueError(`${what}: shift must be finite and scale finite and positive`);
    }
    if (columns !== null && (!Array.isArray(columns) || columns.length !== shift.length)) {
      throw new ValueError(`${what}: columns must be null or ${shift.length} names`);
    }
    this.shiftValues = Float64Array.from(shift);
    this.scaleValues = Float64Array.from(scale);
    this.columnNames = columns === null ? null : [...columns];
  }
}

function matrix(
  data: TimeSeries | Tensor,
  what: string,
): { values: Float32Array; N: number; F: number; columns: readonly string[] | null } {
  if (data instanceof Tensor) {
    if (data.ndim < 1) throw new ShapeError(`${what}: expected a tensor (…, F), got a scalar`);
    const F = data.shape[data.ndim - 1]!;
    return { values: data.f32, N: F === 0 ? 0 : data.size / F, F, columns: null };
  }
  if (typeof data !== 'object' || data === null || !(data.values instanceof Float32Array)) {
    throw new ValueError(`${what}: expected a TimeSeries or a Tensor`);
  }
  return { values: data.values, N: data.length, F: data.columns.length, columns: data.columns };
}

/** Zero mean, unit variance per column (population standard deviation, as scikit-learn). */
export class StandardScaler extends Scaler {
  protected readonly kind = 'standard' as const;

  protected offset(): number {
    return 0;
  }

  get mean(): Float64Array {
    return new Float64Array(this.shiftValues ?? []);
  }

  get std(): Float64Array {
    return new Float64Array(this.scaleValues ?? []);
  }

  protected statistics(
    values: Float32Array,
    F: number,
    { start, end }: RowRange,
  ): [Float64Array, Float64Array] {
    const n = end - start;
    const mean = new Float64Array(F);
    const std = new Float64Array(F);
    for (let r = start; r < end; r++) for (let c = 0; c < F; c++) mean[c]! += values[r * F + c]!;
    for (let c = 0; c < F; c++) mean[c]! /= n;
    for (let r = start; r < end; r++) {
      for (let c = 0; c < F; c++) {
        const d = values[r * F + c]! - mean[c]!;
        std[c]! += d * d;
      }
    }
    // A constant column keeps scale 1 instead of dividing by zero.
    for (let c = 0; c < F; c++) std[c] = Math.sqrt(std[c]! / n) || 1;
    return [mean, std];
  }

  static fromJSON(json: ScalerJSON): StandardScaler {
    const s = new StandardScaler();
    s.restore(json, 'StandardScaler.fromJSON');
    return s;
  }
}

/** Maps each column's training min/max onto featureRange (default [0, 1]). */
export class MinMaxScaler extends Scaler {
  protected readonly kind = 'minmax' as const;
  readonly featureRange: [number, number];

  constructor(options: { featureRange?: [number, number] } = {}) {
    super();
    const range = options.featureRange ?? [0, 1];
    if (
      !Array.isArray(range) ||
      range.length !== 2 ||
      !range.every(Number.isFinite) ||
      !(range[0] < range[1])
    ) {
      throw new ValueError(
        `MinMaxScaler: featureRange must be [low, high] with low < high, got ${JSON.stringify(range)}`,
      );
    }
    this.featureRange = [range[0], range[1]];
  }

  protected offset(): number {
    return this.featureRange[0];
  }

  protected statistics(
    values: Float32Array,
    F: number,
    { start, end }: RowRange,
  ): [Float64Array, Float64Array] {
    const min = new Float64Array(F).fill(Number.POSITIVE_INFINITY);
    const max = new Float64Array(F).fill(Number.NEGATIVE_INFINITY);
    for (let r = start; r < end; r++) {
      for (let c = 0; c < F; c++) {
        const x = values[r * F + c]!;
        if (x < min[c]!) min[c] = x;
        if (x > max[c]!) max[c] = x;
      }
    }
    const width = this.featureRange[1] - this.featureRange[0];
    const scale = Float64Array.from(max, (hi, c) => (hi - min[c]!) / width || 1);
    return [min, scale];
  }

  override toJSON(): ScalerJSON {
    return { ...super.toJSON(), featureRange: [...this.featureRange] };
  }

  static fromJSON(json: ScalerJSON): MinMaxScaler {
    const s = new MinMaxScaler(json?.featureRange ? { featureRange: json.featureRange } : {});
    s.restore(json, 'MinMaxScaler.fromJSON');
    return s;
  }
}
