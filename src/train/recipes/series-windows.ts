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
 * The windows a forecaster trains and validates on, encoded once: window i forecasts member
 * `members[i]` from origin `origins[i]`. A batch carries its window numbers, so metrics decode
 * each window's outputs against its own history into the target's units.
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
  readonly inputs: Float32Array;
  readonly targets: Float32Array;

  constructor(
    readonly spec: EncodingSpec,
    readonly members: readonly Member[],
    readonly scalings: readonly SeriesScaling[],
    readonly at: Origins,
  ) {
    const n = at.origins.length;
    const size = spec.lookback * inputWidth(spec);
    this.length = n;
    this.inputs = new Float32Array(n * size);
    this.targets = new Float32Array(n * spec.horizon);
    for (let i = 0; i < n; i++) {
      const m = at.members[i]!;
      const series = encoderSeries(members[m]!);
      encodeInputs(spec, scalings[m]!, series, at.origins[i]!, this.inputs, i * size);
      this.targets.set(encodeOutputs(spec, scalings[m]!, series, at.origins[i]!), i * spec.horizon);
    }
  }

  get(index: number): number {
    return index;
  }

  /** The windows `items` as one batch. */
  collate(items: number[]): ForecastBatch {
    const size = this.spec.lookback * inputWidth(this.spec);
    const H = this.spec.horizon;
    const inputs = new Float32Array(items.length * size);
    const targets = new Float32Array(items.length * H);
    items.forEach((w, i) => {
      inputs.set(this.inputs.subarray(w * size, (w + 1) * size), i * size);
      targets.set(this.targets.subarray(w * H, (w + 1) * H), i * H);
    });
    return {
      inputs: new Tensor(inputs, [items.length, this.spec.lookback, inputWidth(this.spec)]),
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
      const history = Array.from(m.target.subarray(o - need, o));
      const naive = [...history, ...new Array<number>(H).fill(history[need - 1]!)];
      const encoded = encodeOutputs(spec, scalings[at.members[i]!]!, encoderSeriesOf(naive), need);
      for (let k = 0; k < H; k++) sums[k]! += (this.targets[i * H + k]! - encoded[k]!) ** 2;
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
