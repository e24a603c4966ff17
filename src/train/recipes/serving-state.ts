import { type GRU, LSTM, type RNN } from '../../nn/rnn.js';
import { noGrad } from '../../tensor/autograd.js';
import { Tensor } from '../../tensor/tensor.js';

/*
 * The recurrent state one sequence carries from call to call (a served session), and a step that
 * advances many sequences at once through one fused forward of their layer.
 *
 * state: h (L, R) and, for an LSTM, c (L, H), per sequence; the batch gathers them into h0
 * (L, B, R) / c0 (L, B, H) and scatters hN / cN back. Sequences' chunks may differ in length:
 * they are right-padded and each one's state is taken at its own last valid step.
 *
 * A sequence's buffers alternate: a step writes the new state into the buffers of the state
 * before (`spare`), never into the state it reads, so a session allocates nothing after its
 * second step, and a step whose batch fails leaves every state it read as it was (the server
 * reruns each job from it).
 */

/** h and, for an LSTM, c: one sequence's (L, R) and (L, H) rows, row-major. */
export interface StateBuffers {
  readonly h: Float32Array;
  readonly c: Float32Array | null;
}

/** One sequence's recurrent state, and the buffers its next step writes into (null: none yet). */
export interface RecurrentState extends StateBuffers {
  readonly spare: StateBuffers | null;
}

export type Recurrent = LSTM | GRU | RNN;

/** (L, B, F) from per-sequence (L, F) rows; a missing state is zeros (a sequence's start). */
function gather(parts: readonly (Float32Array | null)[], L: number, F: number): Tensor {
  const B = parts.length;
  const data = new Float32Array(L * B * F);
  parts.forEach((p, b) => {
    if (!p) return;
    for (let l = 0; l < L; l++) data.set(p.subarray(l * F, (l + 1) * F), (l * B + b) * F);
  });
  return new Tensor(data, [L, B, F]);
}

/** Sequence b's (L, F) rows of an (L, B, F) tensor, written into `out` (a new array when null). */
function scatter(t: Tensor, b: number, out: Float32Array | null): Float32Array {
  const [L, B, F] = t.shape as [number, number, number];
  const rows = out ?? new Float32Array(L * F);
  for (let l = 0; l < L; l++) rows.set(t.f32.subarray((l * B + b) * F, (l * B + b + 1) * F), l * F);
  return rows;
}

/** Sequence b's next state from hN / cN, in its spare buffers; its current ones become the spare. */
function nextState(s: RecurrentState | null, hN: Tensor, cN: Tensor | null, b: number): RecurrentState {
  const h = scatter(hN, b, s?.spare?.h ?? null);
  const c = cN ? scatter(cN, b, s?.spare?.c ?? null) : null;
  return { h, c, spare: s ? { h: s.h, c: s.c } : null };
}

/**
 * Runs B sequences' next steps x (B, T, E) — sequence b's first lengths[b] steps — through a
 * unidirectional layer from their states (null: zeros). Returns the new states (in each state's
 * spare buffers; the states read are left as they were) and the top layer's h after each
 * sequence's last step, (B, R) row-major.
 */
export function advance(
  rnn: Recurrent,
  x: Tensor,
  lengths: Int32Array,
  states: readonly (RecurrentState | null)[],
): { states: RecurrentState[]; top: Float32Array } {
  const L = rnn.numLayers;
  const H = rnn.hiddenSize;
  const R = rnn.projSize > 0 ? rnn.projSize : H;
  const B = states.length;
  // Sequences that all start run from the layer's own zero state: nothing to gather.
  const fresh = states.every((s) => s === null);
  const h0 = fresh
    ? null
    : gather(
        states.map((s) => s?.h ?? null),
        L,
        R,
      );
  let hN: Tensor;
  let cN: Tensor | null = null;
  if (rnn instanceof LSTM) {
    const c0 = fresh
      ? null
      : gather(
          states.map((s) => s?.c ?? null),
          L,
          H,
        );
    [hN, cN] = noGrad(() => rnn.forward(x, h0 && c0 ? [h0, c0] : null, { lengths })[1]);
  } else {
    hN = noGrad(() => (rnn as GRU | RNN).forward(x, h0, { lengths })[1]);
  }
  const top = hN.f32.slice((L - 1) * B * R, L * B * R);
  const next = states.map((s, b) => nextState(s, hN, cN, b));
  return { states: next, top };
}

/** Right-pads B rows of F-wide steps into (B, T, F), T the longest; with their lengths. */
export function padSteps(
  rows: readonly Float32Array[],
  F: number,
): { x: Float32Array; T: number; lengths: Int32Array } {
  const lengths = Int32Array.from(rows, (r) => r.length / F);
  const T = Math.max(...lengths);
  const x = new Float32Array(rows.length * T * F);
  for (const [b, r] of rows.entries()) x.set(r, b * T * F);
  return { x, T, lengths };
}
