import { gradientPool } from '../../tensor/pool.js';
import '../js/gemm.js';
import { gateBlock, gateCount } from '../recurrent-kinds.js';
import { type Kernels, kernels, registerKernel } from '../registry.js';
import {
  combinedBias,
  copyInto,
  inputProjection,
  packStepWeights,
  packStepWeightsBackward,
  prevTime,
  SavedScratch,
  sequenceGradients,
  sigmoid,
  stepProduct,
  stepProductBackward,
  tanh,
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
 * cells (T, B, H) c after each step; hidden (T, B, H) m before the projection (only when P > 0);
 * each null when no backward will run, the kernel then working in scratch (SavedScratch).
 * Past a sample's length the gate rows hold x·W_ihᵀ without bias and cells/hidden stay 0, as on
 * the native and WebAssembly backends.
 */

// Gate blocks by name, from the recurrent-kinds table.
const LSTM = {
  gates: gateCount('LSTM'),
  i: gateBlock('LSTM', 'i'),
  f: gateBlock('LSTM', 'f'),
  g: gateBlock('LSTM', 'g'),
  o: gateBlock('LSTM', 'o'),
};
// lstmCell activates i and f in one σ loop, which needs them side by side.
if (LSTM.f !== LSTM.i + 1)
  throw new Error('lstm.ts: the LSTM input and forget gates must be adjacent blocks');

const lstmForwardJs: Kernels['lstmForward'] = function lstmForwardJs(
  T,
  B,
  E,
  H,
  P,
  x,
  wIh,
  wHh,
  wHr,
  bIh,
  bHh,
  h0,
  c0,
  lengths,
  reverse,
  out,
  hN,
  cN,
  savedGates,
  savedCells,
  savedHidden,
) {
  const G = LSTM.gates * H;
  const R = P > 0 ? P : H;
  const scratch = new SavedScratch();
  const gates = scratch.or(savedGates, T * B * G);
  const cells = scratch.or(savedCells, T * B * H);
  const hidden = P > 0 ? scratch.or(savedHidden, T * B * H) : null;
  const proj = P > 0 && wHr !== null;
  // Pre-activations of every step's input part, written straight into the saved gate buffer.
  inputProjection(T, B, G, E, x, wIh, combinedBias(G, bIh, bHh, G), lengths, gates, G);
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
      const ci = (t * B + b) * H;
      const cb = b * H;
      if (m) lstmCell(H, gates, (t * B + b) * G, hw, b * G, cN, cb, cells, ci, m, cb, hidden!, ci);
      else lstmCell(H, gates, (t * B + b) * G, hw, b * G, cN, cb, cells, ci, hN, cb, out, ci);
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
  scratch.release();
};

/**
 * One sample's step, in place: the pre-activations gates[gi…gi+G) (input part) plus hw[hb…] (the
 * recurrent product) become σ(i), σ(f), tanh(g), σ(o); then c[cb…] = f ⊙ c + i ⊙ g, also saved to
 * cells[ci…], and m = o ⊙ tanh(c) goes to both dst[d…] and dst2[d2…]. One loop per nonlinearity:
 * four call sites of the exponential fit V8's inlining budget, five in one loop did not.
 */
function lstmCell(
  H: number,
  gates: Float32Array,
  gi: number,
  hw: Float32Array,
  hb: number,
  c: Float32Array,
  cb: number,
  cells: Float32Array,
  ci: number,
  dst: Float32Array,
  d: number,
  dst2: Float32Array,
  d2: number,
): void {
  // Gate blocks inside a row of G: input, forget (both σ), cell candidate (tanh), output (σ).
  const GI = LSTM.i * H;
  const GF = LSTM.f * H;
  const GG = LSTM.g * H;
  const GO = LSTM.o * H;
  for (let j = GI; j < GF + H; j++) gates[gi + j] = sigmoid(gates[gi + j]! + hw[hb + j]!);
  for (let j = GG; j < GG + H; j++) gates[gi + j] = tanh(gates[gi + j]! + hw[hb + j]!);
  for (let j = GO; j < GO + H; j++) gates[gi + j] = sigmoid(gates[gi + j]! + hw[hb + j]!);
  for (let j = 0; j < H; j++) {
    const cv = gates[gi + GF + j]! * c[cb + j]! + gates[gi + GI + j]! * gates[gi + GG + j]!;
    cells[ci + j] = cv;
    c[cb + j] = cv;
    const hv = gates[gi + GO + j]! * tanh(cv);
    dst[d + j] = hv;
    dst2[d2 + j] = hv;
  }
}

const lstmBackwardJs: Kernels['lstmBackward'] = function lstmBackwardJs(
  T,
  B,
  E,
  H,
  P,
  x,
  wIh,
  wHh,
  wHr,
  h0,
  c0,
  lengths,
  reverse,
  out,
  gates,
  cells,
  hidden,
  dOut,
  dhN,
  dcN,
  dx,
  _V,
  tokens,
  paddingIdx,
  dEmbedding,
  dh0,
  dc0,
  dWih,
  dWhh,
  dWhr,
  dbIh,
  dbHh,
) {
  const G = LSTM.gates * H;
  // Gate blocks inside a row of G: input, forget, cell candidate, output.
  const GI = LSTM.i * H;
  const GF = LSTM.f * H;
  const GG = LSTM.g * H;
  const GO = LSTM.o * H;
  const R = P > 0 ? P : H;
  const proj = P > 0 && wHr !== null;
  // Pre-activation gradients, whole sequence; with all samples running all T steps every row is
  // written, so the pooled buffer needs no zero fill.
  const dGates = gradientPool.take(T * B * G, lengths !== null);
  const dh = new Float32Array(B * R); // gradient of the running hidden state
  const dc = new Float32Array(B * H);
  if (dhN) dh.set(dhN.subarray(0, B * R));
  if (dcN) dc.set(dcN.subarray(0, B * H));
  const dgStep = new Float32Array(B * G);
  const dm = proj ? new Float32Array(B * H) : null;
  const dhAll = proj ? gradientPool.take(T * B * P) : null; // dh at every step, for dW_hr
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
        const tc = tanh(cells[ci + j]!);
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
  sequenceGradients({ T, B, E, R, G, x, wIh, h0, out, lengths, reverse }, dGates, dGates, {
    kernel: 'lstmBackward',
    dx,
    tokens,
    paddingIdx,
    dEmbedding,
    dWih,
    dWhh,
    dbIh,
    dbHh,
  });
  if (dWhr && dhAll && hidden)
    kernels.gemm(true, false, P, H, T * B, dhAll, 0, P, hidden, 0, H, dWhr, 0, H, true);
  gradientPool.release(dGates);
  if (dhAll) gradientPool.release(dhAll);
};

registerKernel('lstmForward', 'js', lstmForwardJs);
registerKernel('lstmBackward', 'js', lstmBackwardJs);
