import { add, mul, sub } from '../../src/ops/binary.js';
import { linear } from '../../src/ops/matmul.js';
import type { LstmWeights } from '../../src/ops/recurrent.js';
import { reshape, slice } from '../../src/ops/shape.js';
import { relu, sigmoid, tanh } from '../../src/ops/unary.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/*
 * The unfused oracle: one cell step at a time, one sample at a time, built only from primitive
 * ops (linear, slice, add, mul, sigmoid, tanh, relu) and differentiated by the generic autograd.
 * Per-sample loops make the lengths / reverse bookkeeping independent of the fused kernels'.
 */

export type Kind = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

export interface ReferenceResult {
  /** outputs[t][b]: (1, R) for t < len[b], null past the sample's length. */
  outputs: Array<Array<Tensor | null>>;
  /** hN[b], cN[b]: (1, R), (1, H). */
  hN: Tensor[];
  cN: Tensor[];
}

const gate = (t: Tensor, k: number, H: number) => slice(t, 1, k * H, (k + 1) * H);

/** x: (T, B, E), h0: (B, R), c0: (B, H) → per-step outputs and final states. */
export function referenceSequence(
  kind: Kind,
  x: Tensor,
  h0: Tensor,
  c0: Tensor | null,
  w: LstmWeights,
  lengths: readonly number[] | null,
  reverse: boolean,
): ReferenceResult {
  const [T, B, E] = x.shape as [number, number, number];
  const H =
    kind === 'lstm'
      ? w.weightHh.shape[0]! / 4
      : kind === 'gru'
        ? w.weightHh.shape[0]! / 3
        : w.weightHh.shape[0]!;
  const outputs: Array<Array<Tensor | null>> = Array.from({ length: T }, () =>
    new Array<Tensor | null>(B).fill(null),
  );
  const hN: Tensor[] = [];
  const cN: Tensor[] = [];
  for (let b = 0; b < B; b++) {
    const len = lengths ? lengths[b]! : T;
    let h = slice(h0, 0, b, b + 1);
    let c = c0 ? slice(c0, 0, b, b + 1) : null;
    for (let s = 0; s < len; s++) {
      const t = reverse ? len - 1 - s : s;
      const xt = reshape(slice(slice(x, 0, t, t + 1), 1, b, b + 1), [1, E]);
      const gi = linear(xt, w.weightIh, w.biasIh ?? null);
      const gh = linear(h, w.weightHh, w.biasHh ?? null);
      if (kind === 'lstm') {
        const pre = add(gi, gh);
        const i = sigmoid(gate(pre, 0, H));
        const f = sigmoid(gate(pre, 1, H));
        const g = tanh(gate(pre, 2, H));
        const o = sigmoid(gate(pre, 3, H));
        c = add(mul(f, c!), mul(i, g));
        const m = mul(o, tanh(c));
        h = w.weightHr ? linear(m, w.weightHr) : m;
      } else if (kind === 'gru') {
        const r = sigmoid(add(gate(gi, 0, H), gate(gh, 0, H)));
        const z = sigmoid(add(gate(gi, 1, H), gate(gh, 1, H)));
        const n = tanh(add(gate(gi, 2, H), mul(r, gate(gh, 2, H))));
        h = add(mul(sub(1, z), n), mul(z, h));
      } else {
        const pre = add(gi, gh);
        h = kind === 'rnn_relu' ? relu(pre) : tanh(pre);
      }
      outputs[t]![b] = h;
    }
    hN.push(h);
    if (c) cN.push(c);
  }
  return { outputs, hN, cN };
}
