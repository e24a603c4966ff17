import '../js/gemm.js';
import { kernels, registerKernel } from '../registry.js';
import {
  combinedBias,
  copyInto,
  inputProjection,
  packStepWeights,
  packStepWeightsBackward,
  prevTime,
  sequenceGradients,
  sigmoid,
  stepProduct,
  stepProductBackward,
  timeAt,
} from './recurrent-common.js';

/*
 * Fused LSTM over a whole sequence, one layer and one direction (PyTorch's equations):
 *   i, f, g, o = σ(·), σ(·), tanh(·), σ(·) of x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh   (gates packed i,f,g,o)
 *   c' = f ⊙ c + i ⊙ g,   m = o ⊙ tanh(c'),   h' = m (P = 0) or m·W_hrᵀ (projection, P > 0)
 *
 * x: (T, B, E)  wIh: (G, E)  wHh: (G, R)  wHr: (P, H)  bIh, bHh: (G)   G = 4H, R = P > 0 ? P : H
 * h0: (B, R)  c0: (B, H)  lengths: (B) with 0 ≤ len ≤ T, or null for all T
 * out: (T, B, R)  hN: (B, R)  cN: (B, H)
 * Saved for backward (zero-filled by the caller): gates (T, B, G) activated i,f,g,o;
 * cells (T, B, H) c after each step; hidden (T, B, H) m before the projection (only when P > 0).
 */

declare module '../registry.js' {
  interface Kernels {
    lstmForward(
      T: number,
      B: number,
      E: number,
      H: number,
      P: number,
      x: Float32Array,
      wIh: Float32Array,
      wHh: Float32Array,
      wHr: Float32Array | null,
      bIh: Float32Array | null,
      bHh: Float32Array | null,
      h0: Float32Array,
      c0: Float32Array,
      lengths: Int32Array | null,
      reverse: boolean,
      out: Float32Array,
      hN: Float32Array,
      cN: Float32Array,
      gates: Float32Array,
      cells: Float32Array,
      hidden: Float32Array | null,
    ): void;
    /**
     * BPTT for {@link Kernels.lstmForward}: adds (+=) into every non-null gradient buffer, from
     * the upstream gradients of out (T, B, R), hN (B, R) and cN (B, H) (null means zero).
     */
    lstmBackward(
      T: number,
      B: number,
      E: number,
      H: number,
      P: number,
      x: Float32Array,
      wIh: Float32Array,
      wHh: Float32Array,
      wHr: Float32Array | null,
      h0: Float32Array,
      c0: Float32Array,
      lengths: Int32Array | null,
      reverse: boolean,
      out: Float32Array,
      gates: Float32Array,
      cells: Float32Array,
      hidden: Float32Array | null,
      dOut: Float32Array | null,
      dhN: Float32Array | null,
      dcN: Float32Array | null,
      dx: Float32Array | null,
      dh0: Float32Array | null,
      dc0: Float32Array | null,
      dWih: Float32Array | null,
      dWhh: Float32Array | null,
      dWhr: Float32Array | null,
      dbIh: Float32Array | null,
      dbHh: Float32Array | null,
    ): void;
  }
}

function lstmForwardJs(
  T: number,
  B: number,
  E: number,
  H: number,
  P: number,
  x: Float32Array,
  wIh: Float32Array,
  wHh: Float32Array,
  wHr: Float32Array | null,
  bIh: Float32Array | null,
  bHh: Float32Array | null,
  h0: Float32Array,
  c0: Float32Array,
  lengths: Int32Array | null,
  reverse: boolean,
  out: Float32Array,
  hN: Float32Array,
  cN: Float32Array,
  gates: Float32Array,
  cells: Float32Array,
  hidden: Float32Array | null,
): void {
  const G = 4 * H;
  // Gate blocks inside a row of G: input, forget, cell candidate, output.
  const GI = 0;
  const GF = H;
  const GG = 2 * H;
  const GO = 3 * H;
  const R = P > 0 ? P : H;
  const proj = P > 0 && wHr !== null && hidden !== null;
  // Pre-activations of every step's input part, written straight into the saved gate buffer.
  inputProjection(T * B, G, E, x, wIh, combinedBias(G, bIh, bHh, G), gates, G);
  hN.set(h0.subarray(0, B * R));
  cN.set(c0.subarray(0, B * H));
  if (lengths) out.fill(0);
  const hw = new Float32Array(B * G); // h·W_hhᵀ of the current step
  const m = proj ? new Float32Array(B * H) : null;
  const hp = proj ? new Float32Array(B * P) : null;
  const wHhPacked = packStepWeights(B, G, R, wHh);
  const wHrPacked = proj ? packStepWeights(B, P, H, wHr!) : null;
  for (let s = 0; s < T; s++) {
    stepProduct(B, G, R, hN, wHh, wHhPacked, hw);
    for (let b = 0; b < B; b++) {
      const t = timeAt(s, lengths ? lengths[b]! : T, reverse);
      if (t < 0) continue;
      const gi = (t * B + b) * G;
      const hb = b * G;
      const ci = (t * B + b) * H;
      const cb = b * H;
      for (let j = 0; j < H; j++) {
        const ig = sigmoid(gates[gi + GI + j]! + hw[hb + GI + j]!);
        const fg = sigmoid(gates[gi + GF + j]! + hw[hb + GF + j]!);
        const gg = Math.tanh(gates[gi + GG + j]! + hw[hb + GG + j]!);
        const og = sigmoid(gates[gi + GO + j]! + hw[hb + GO + j]!);
        const c = fg * cN[cb + j]! + ig * gg;
        gates[gi + GI + j] = ig;
        gates[gi + GF + j] = fg;
        gates[gi + GG + j] = gg;
        gates[gi + GO + j] = og;
        cells[ci + j] = c;
        cN[cb + j] = c;
        const hv = og * Math.tanh(c);
        if (m) {
          m[cb + j] = hv;
          hidden![ci + j] = hv;
        } else {
          hN[cb + j] = hv;
          out[ci + j] = hv;
        }
      }
    }
    if (m && hp) {
      stepProduct(B, P, H, m, wHr!, wHrPacked, hp);
      for (let b = 0; b < B; b++) {
        const t = timeAt(s, lengths ? lengths[b]! : T, reverse);
        if (t < 0) continue;
        copyInto(hp, b * P, hN, b * P, P);
        copyInto(hp, b * P, out, (t * B + b) * P, P);
      }
    }
  }
}

function lstmBackwardJs(
  T: number,
  B: number,
  E: number,
  H: number,
  P: number,
  x: Float32Array,
  wIh: Float32Array,
  wHh: Float32Array,
  wHr: Float32Array | null,
  h0: Float32Array,
  c0: Float32Array,
  lengths: Int32Array | null,
  reverse: boolean,
  out: Float32Array,
  gates: Float32Array,
  cells: Float32Array,
  hidden: Float32Array | null,
  dOut: Float32Array | null,
  dhN: Float32Array | null,
  dcN: Float32Array | null,
  dx: Float32Array | null,
  dh0: Float32Array | null,
  dc0: Float32Array | null,
  dWih: Float32Array | null,
  dWhh: Float32Array | null,
  dWhr: Float32Array | null,
  dbIh: Float32Array | null,
  dbHh: Float32Array | null,
): void {
  const G = 4 * H;
  // Gate blocks inside a row of G: input, forget, cell candidate, output.
  const GI = 0;
  const GF = H;
  const GG = 2 * H;
  const GO = 3 * H;
  const R = P > 0 ? P : H;
  const proj = P > 0 && wHr !== null;
  const dGates = new Float32Array(T * B * G); // pre-activation gradients, whole sequence
  const dh = new Float32Array(B * R); // gradient of the running hidden state
  const dc = new Float32Array(B * H);
  if (dhN) dh.set(dhN.subarray(0, B * R));
  if (dcN) dc.set(dcN.subarray(0, B * H));
  const dgStep = new Float32Array(B * G);
  const dm = proj ? new Float32Array(B * H) : null;
  const dhAll = proj ? new Float32Array(T * B * P) : null; // dh at every step, for dW_hr
  const wHhPacked = packStepWeightsBackward(B, G, R, wHh);
  const wHrPacked = proj ? packStepWeightsBackward(B, P, H, wHr!) : null;
  for (let s = T - 1; s >= 0; s--) {
    if (dOut) {
      for (let b = 0; b < B; b++) {
        const t = timeAt(s, lengths ? lengths[b]! : T, reverse);
        if (t < 0) continue;
        const o = (t * B + b) * R;
        for (let j = 0; j < R; j++) dh[b * R + j]! += dOut[o + j]!;
      }
    }
    if (dm) {
      dm.fill(0);
      stepProductBackward(B, P, H, dh, wHr!, wHrPacked, dm);
      for (let b = 0; b < B; b++) {
        const t = timeAt(s, lengths ? lengths[b]! : T, reverse);
        if (t >= 0) copyInto(dh, b * P, dhAll!, (t * B + b) * P, P);
      }
    }
    for (let b = 0; b < B; b++) {
      const len = lengths ? lengths[b]! : T;
      const t = timeAt(s, len, reverse);
      const hb = b * G;
      if (t < 0) {
        dgStep.fill(0, hb, hb + G);
        continue;
      }
      const gi = (t * B + b) * G;
      const ci = (t * B + b) * H;
      const cb = b * H;
      const pt = prevTime(t, len, reverse);
      const cPrev = pt < 0 ? c0 : cells;
      const cpi = pt < 0 ? cb : (pt * B + b) * H;
      const dhv = dm ?? dh;
      for (let j = 0; j < H; j++) {
        const ig = gates[gi + GI + j]!;
        const fg = gates[gi + GF + j]!;
        const gg = gates[gi + GG + j]!;
        const og = gates[gi + GO + j]!;
        const tc = Math.tanh(cells[ci + j]!);
        const dhj = dhv[cb + j]!;
        const dcT = dc[cb + j]! + dhj * og * (1 - tc * tc);
        dc[cb + j] = dcT * fg;
        const dI = dcT * gg * ig * (1 - ig);
        const dF = dcT * cPrev[cpi + j]! * fg * (1 - fg);
        const dG = dcT * ig * (1 - gg * gg);
        const dO = dhj * tc * og * (1 - og);
        dgStep[hb + GI + j] = dI;
        dgStep[hb + GF + j] = dF;
        dgStep[hb + GG + j] = dG;
        dgStep[hb + GO + j] = dO;
      }
      copyInto(dgStep, hb, dGates, gi, G);
      // The state's gradient now flows only through the recurrent product below.
      dh.fill(0, b * R, (b + 1) * R);
    }
    // dh_prev = dGates_step · W_hh; finished samples have zero rows and keep their dh.
    stepProductBackward(B, G, R, dgStep, wHh, wHhPacked, dh);
  }
  if (dh0) for (let i = 0; i < B * R; i++) dh0[i]! += dh[i]!;
  if (dc0) for (let i = 0; i < B * H; i++) dc0[i]! += dc[i]!;
  sequenceGradients(
    T,
    B,
    E,
    R,
    G,
    x,
    wIh,
    h0,
    out,
    lengths,
    reverse,
    dGates,
    dGates,
    dx,
    dWih,
    dWhh,
    dbIh,
    dbHh,
  );
  if (dWhr && dhAll && hidden)
    kernels.gemm(true, false, P, H, T * B, dhAll, 0, P, hidden, 0, H, dWhr, 0, H, true);
}

registerKernel('lstmForward', 'js', lstmForwardJs);
registerKernel('lstmBackward', 'js', lstmBackwardJs);
