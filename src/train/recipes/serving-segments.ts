import type { TextClassifier } from '../../nn/heads.js';
import { noGrad } from '../../tensor/autograd.js';
import { trainingStep } from '../../tensor/step.js';
import { Tensor } from '../../tensor/tensor.js';
import { advance, type RecurrentState } from './serving-state.js';

/*
 * A batch of texts for a model that reads only its last state (unidirectional, pooling 'last'),
 * run as PyTorch runs a packed sequence: sorted longest first, the rows take the steps they share
 * together, and the longer ones carry their state on into the next segment of steps. Length
 * buckets would instead run a few long texts from their first step on their own, where a product
 * of a handful of rows streams the whole recurrent weight per row (a wide model's 4 MiB W_hh, per
 * step); here they join the batch's large products for those steps.
 *
 * Each segment is one forward call, and a call has a fixed cost (the kernels pack the weights
 * once per call), so the segments are chosen to minimise an estimate of the batch's time.
 */

/** Steps [from, to) of the `rows` longest texts, in one forward. */
export interface Segment {
  from: number;
  to: number;
  rows: number;
}

/** What the plan weighs, in µs: a forward call, and one row's step, each by the rows in the call. */
export interface SegmentCosts {
  call(rows: number): number;
  rowStep(rows: number): number;
}

/**
 * The segments of least estimated cost for texts of `lengths`, sorted longest first (each ≥ 1):
 * boundaries at the texts' lengths, the rows of a segment those longer than its start.
 */
export function planSegments(lengths: ArrayLike<number>, costs: SegmentCosts): Segment[] {
  const B = lengths.length;
  const times = [0, ...new Set(Array.from(lengths).reverse())];
  const rowsFrom = (t: number) => {
    let m = 0;
    while (m < B && lengths[m]! > t) m++;
    return m;
  };
  const best = times.map(() => Infinity);
  const cut = times.map(() => 0);
  best[0] = 0;
  for (let j = 1; j < times.length; j++) {
    for (let i = 0; i < j; i++) {
      const m = rowsFrom(times[i]!);
      const cost = best[i]! + costs.call(m) + (times[j]! - times[i]!) * m * costs.rowStep(m);
      if (cost < best[j]!) {
        best[j] = cost;
        cut[j] = i;
      }
    }
  }
  const segments: Segment[] = [];
  for (let j = times.length - 1; j > 0; j = cut[j]!) {
    const from = times[cut[j]!]!;
    segments.unshift({ from, to: times[j]!, rows: rowsFrom(from) });
  }
  return segments;
}

/**
 * Costs on the native backend of the AVX2 machine, from the recurrent layer's weight count W
 * (Σ G·(E + R) over its layers): a product of more than 4 rows runs packed at about 60 GFLOP/s,
 * after packing the weights (about 1 ns a value) on each call unless the layer is `frozen` (its
 * packs made once); of at most 4 rows, unpacked at about 25 (each row streams the weights), the
 * call's own cost about an eighth of a packing one's (the large classifier: 1.5–2.4 ms a packed
 * call, about 0.2 ms an unpacked one); about 60 µs of each call is the JavaScript around it
 * (states gathered and scattered).
 */
export function nativeSegmentCosts(weights: number, frozen = false): SegmentCosts {
  const packed = (rows: number) => rows > 4;
  const packing = frozen ? 0 : weights / 1000;
  return {
    call: (rows) => 60 + (packed(rows) ? packing : weights / 8000),
    rowStep: (rows) => (2 * weights) / (packed(rows) ? 60e3 : 25e3),
  };
}

/** A batch's plan: its rows longest first (indices into the batch), and their segments. */
export interface SegmentPlan {
  order: number[];
  segments: Segment[];
}

export function segmentPlan(encoded: readonly Int32Array[], costs: SegmentCosts): SegmentPlan {
  const order = encoded.map((_, i) => i).sort((a, b) => encoded[b]!.length - encoded[a]!.length);
  return {
    order,
    segments: planSegments(
      order.map((i) => encoded[i]!.length),
      costs,
    ),
  };
}

/**
 * The top layer's last state (B, R) of each text of `encoded` (each non-empty), run by `plan`'s
 * segments, row-major in `encoded`'s order.
 */
export function lastStates(
  model: TextClassifier,
  encoded: readonly Int32Array[],
  plan: SegmentPlan,
): Float32Array {
  const { order } = plan;
  const R = model.rnn.outputSize;
  const top = new Float32Array(encoded.length * R);
  let states: (RecurrentState | null)[] = order.map(() => null);
  for (const { from, to, rows } of plan.segments) {
    const T = to - from;
    const ids = new Int32Array(rows * T);
    const steps = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      const tokens = encoded[order[r]!]!.subarray(from, to);
      ids.set(tokens, r * T);
      steps[r] = tokens.length;
    }
    // One step: the forward's large buffers go back to the pool for the next call, not to the GC.
    trainingStep(() => {
      const x = noGrad(() => model.embedding.forward(new Tensor(ids, [rows, T])));
      const next = advance(model.rnn, x, steps, states.slice(0, rows));
      for (let r = 0; r < rows; r++) {
        if (encoded[order[r]!]!.length <= to) top.set(next.top.subarray(r * R, (r + 1) * R), order[r]! * R);
      }
      states = next.states;
    });
  }
  return top;
}
