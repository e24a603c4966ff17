import { DataLoader } from '../../data/dataloader.js';
import type { Dataset } from '../../data/dataset.js';
import {
  decodeOutputs,
  type EncoderSeries,
  type EncodingSpec,
  encodeInputs,
  encodeOutputs,
  inputWidth,
  type SeriesScaling,
} from '../../data/forecast-encoding.js';
import { transformContext } from '../../data/target-transform.js';
import type { Module } from '../../nn/module.js';
import { mul, sub } from '../../ops/binary.js';
import { square } from '../../ops/pointwise.js';
import { mean } from '../../ops/reduce.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Task } from '../fit-types.js';
import { encoderSeries, type Member } from './series-panel.js';

/**
 * The windows a forecaster trains and validates on: window i forecasts member `members[i]`
 * from origin `origins[i]`. Windows are encoded when a batch asks for them, straight into the
 * batch's buffers (a million-row hourly series has over half a million windows, a gigabyte
 * encoded at once). A batch carries its window numbers, so metrics decode each window's
 * outputs against its own history into the target's units.
 */

export interface ForecastBatch {
  inputs: Tensor;
  targets: Tensor;
  /** Each window's member and origin. */
  members: Int32Array;
  origins: Int32Array;
}

/** Forecast origins: the member and the row of the first forecast step. */
export interface Origins {
  members: Int32Array;
  origins: Int32Array;
}

export class ForecastWindows implements Dataset<number> {
  readonly length: number;

  constructor(
    readonly spec: EncodingSpec,
    readonly members: readonly Member[],
    readonly scalings: readonly SeriesScaling[],
    readonly at: Origins,
  ) {
    this.length = at.origins.length;
  }

  get(index: number): number {
    return index;
  }

  /** Encodes windows `items` into `inputs` (B × L × W) and `targets` (B × H). */
  encode(items: ArrayLike<number>, inputs: Float32Array, targets: Float32Array): void {
    const size = this.spec.lookback * inputWidth(this.spec);
    const H = this.spec.horizon;
    for (let i = 0; i < items.length; i++) {
      const w = items[i]!;
      const m = this.at.members[w]!;
      const series = encoderSeries(this.members[m]!);
      const o = this.at.origins[w]!;
      encodeInputs(this.spec, this.scalings[m]!, series, o, inputs, i * size);
      targets.set(encodeOutputs(this.spec, this.scalings[m]!, series, o), i * H);
    }
  }

  /** Every window encoded (for checks on small data: this is what batches hold, all at once). */
  encodeAll(): { inputs: Float32Array; targets: Float32Array } {
    const inputs = new Float32Array(this.length * this.spec.lookback * inputWidth(this.spec));
    const targets = new Float32Array(this.length * this.spec.horizon);
    this.encode(
      Int32Array.from({ length: this.length }, (_, i) => i),
      inputs,
      targets,
    );
    return { inputs, targets };
  }

  /** The windows `items` as one batch. */
  collate(items: number[]): ForecastBatch {
    const L = this.spec.lookback;
    const W = inputWidth(this.spec);
    const H = this.spec.horizon;
    const inputs = new Float32Array(items.length * L * W);
    const targets = new Float32Array(items.length * H);
    this.encode(items, inputs, targets);
    return {
      inputs: new Tensor(inputs, [items.length, L, W]),
      targets: new Tensor(targets, [items.length, H]),
      members: Int32Array.from(items, (w) => this.at.members[w]!),
      origins: Int32Array.from(items, (w) => this.at.origins[w]!),
    };
  }

  /**
   * Loss weights per forecast step: the inverse of the naive forecast's mean squared error at
   * that step (in encoded units, over these windows), normalised to average 1. Without them
   * the later, less predictable steps dominate a direct model's loss and its first step
   * falls behind persistence.
   */
  stepWeights(): Float32Array {
    const { spec, members, scalings, at } = this;
    const H = spec.horizon;
    const need = Math.max(1, transformContext(spec.transform));
    const sums = new Float64Array(H);
    for (let i = 0; i < this.length; i++) {
      const m = members[at.members[i]!]!;
      const o = at.origins[i]!;
      const scaling = scalings[at.members[i]!]!;
      const target = encodeOutputs(spec, scaling, encoderSeries(m), o);
      const history = Array.from(m.target.subarray(o - need, o));
      const naive = [...history, ...new Array<number>(H).fill(history[need - 1]!)];
      const encoded = encodeOutputs(spec, scaling, encoderSeriesOf(naive), need);
      for (let k = 0; k < H; k++) sums[k]! += (target[k]! - encoded[k]!) ** 2;
    }
    const inverse = Array.from(sums, (s) => (s > 0 ? this.length / s : 1));
    const mean = inverse.reduce((a, b) => a + b, 0) / H;
    return Float32Array.from(inverse, (w) => w / mean);
  }

  loader(batchSize: number, shuffle: boolean): DataLoader<number, ForecastBatch> {
    return new DataLoader<number, ForecastBatch>(this, {
      batchSize,
      shuffle,
      collateFn: (items) => this.collate(items),
    });
  }
}

/** A target-only series for the encoder (no covariates, no calendar). */
function encoderSeriesOf(target: number[]): EncoderSeries {
  return { target, covariates: [], calendar: [] };
}

/** Every origin o of each member with rows [o, o + horizon) inside [from, to) and o ≥ first. */
export function originsIn(
  ranges: readonly { from: number; to: number }[],
  horizon: number,
  first: number,
): Origins {
  const members: number[] = [];
  const origins: number[] = [];
  ranges.forEach(({ from, to }, m) => {
    for (let o = Math.max(from, first); o + horizon <= to; o++) {
      members.push(m);
      origins.push(o);
    }
  });
  return { members: Int32Array.from(members), origins: Int32Array.from(origins) };
}

/** Mean squared error with a weight per forecast step: mean over (B, H) of w_k (ŷ − y)². */
export function weightedMse(weights: Float32Array): (output: Tensor, target: Tensor) => Tensor {
  const w = new Tensor(weights, [1, weights.length]);
  return (output, target) => mean(mul(square(sub(output, target)), w));
}

/**
 * The task a forecaster trains with (its loss is on the encoded targets); metrics compare forecasts in
 * the target's units, or divided by each member's `units` entry (MASE's scale) so that the
 * series of a panel count alike.
 */
export function forecastTask(
  spec: EncodingSpec,
  members: readonly Member[],
  scalings: readonly SeriesScaling[],
  units: readonly number[] | null,
): Task<ForecastBatch> {
  const H = spec.horizon;
  const need = Math.max(1, transformContext(spec.transform));
  const unit = (m: number) => (units ? units[m]! : 1);
  return {
    forward: (model, batch) => (model as Module & { forward(x: Tensor): Tensor }).forward(batch.inputs),
    target: (batch) => batch.targets,
    decode: (output, batch) => {
      const out: number[] = [];
      const f = output.f32;
      batch.origins.forEach((o, i) => {
        const m = batch.members[i]!;
        const row = f.subarray(i * H, (i + 1) * H);
        const values = row.every(Number.isFinite)
          ? decodeOutputs(spec, scalings[m]!, members[m]!.target.subarray(o - need, o), row)
          : new Float64Array(H).fill(Number.NaN);
        for (const v of values) out.push(v / unit(m));
      });
      return out;
    },
    decodeTarget: (batch) => {
      const out: number[] = [];
      batch.origins.forEach((o, i) => {
        const m = batch.members[i]!;
        for (const v of members[m]!.target.subarray(o, o + H)) out.push(v / unit(m));
      });
      return out;
    },
    tokens: (batch) => batch.inputs.shape[0]! * batch.inputs.shape[1]!,
  };
}
