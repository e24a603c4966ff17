import { gradientPool } from '../../tensor/pool.js';
import '../js/gemm.js';
import { gateBlock, gateCount, RECURRENT_KINDS } from '../recurrent-kinds.js';
import { type Kernels, registerKernel } from '../registry.js';
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
 * Fused GRU over a whole sequence, one layer and one direction (PyTorch's equations):
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h   (gates packed r,z,n)
 *
 * x: (T, B, E)  wIh: (G, E)  wHh: (G, H)  bIh, bHh: (G)   G = 3H
 * h0: (B, H)  lengths: (B) with 0 ≤ len ≤ T, or null for all T
 * out: (T, B, H)  hN: (B, H)
 * Saved for backward (zero-filled by the caller): gates (T, B, 4H) holding r, z, n and
 * W_hn h + b_hn for every step (null when no backward will run: the kernel then works in scratch).
 * Past a sample's length a row holds x·W_ihᵀ without bias and a zero W_hn h + b_hn block, as on the
 * native and WebAssembly backends.
 */

// Gate blocks by name from the recurrent-kinds table; the saved row's extra block (W_hn h + b_hn)
// follows the gates.
const GRU = {
  gates: gateCount('GRU'),
  saved: RECURRENT_KINDS.GRU.savedBlocks,
  r: gateBlock('GRU', 'r'),
  z: gateBlock('GRU', 'z'),
  n: gateBlock('GRU', 'n'),
};
// combinedBias sums b_ih + b_hh up to the n block, which must come last (b_hn stays apart).
if (GRU.n !== GRU.gates - 1) throw new Error('gru.ts: the GRU new-gate block must be the last one');

const gruForwardJs: Kernels['gruForward'] = function gruForwardJs(
  T,
  B,
  E,
  H,
  x,
  wIh,
  wHh,
  bIh,
  bHh,
  h0,
  lengths,
  reverse,
  out,
  hN,
  savedGates,
) {
  const G = GRU.gates * H;
  const S = GRU.saved * H; // saved stride: r, z, n, W_hn h + b_hn
  const scratch = new SavedScratch();
  const gates = scratch.or(savedGates, T * B * S);
  // b_hr and b_hz fold into the input projection; b_hn stays inside the reset product.
  inputProjection(T, B, G, E, x, wIh, combinedBias(G, bIh, bHh, GRU.n * H), lengths, gates, S);
  hN.set(h0.subarray(0, B * H));
  if (lengths) out.fill(0);
  const hw = new Float32Array(B * G);
  // Gate blocks: reset, update, new; saved rows add W_hn h + b_hn after them.
  const GR = GRU.r * H;
  const GZ = GRU.z * H;
  const GN = GRU.n * H;
  const HN = GRU.gates * H;
  const wHhPacked = packStepWeights(B, G, H, wHh);
  for (let s = 0; s < T; s++) {
    stepProduct(B, G, H, hN, wHh, wHhPacked, hw);
    for (let b = 0; b < B; b++) {
      const t = timeAt(s, lengths ? lengths[b]! : T, reverse);
      if (t < 0) continue;
      const gi = (t * B + b) * S;
      const hb = b * G;
      const ob = b * H;
      const oi = (t * B + b) * H;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(gates[gi + GR + j]! + hw[hb + GR + j]!);
        const z = sigmoid(gates[gi + GZ + j]! + hw[hb + GZ + j]!);
        const hn = hw[hb + GN + j]! + (bHh ? bHh[GN + j]! : 0);
        const n = tanh(gates[gi + GN + j]! + r * hn);
        const h = (1 - z) * n + z * hN[ob + j]!;
        gates[gi + GR + j] = r;
        gates[gi + GZ + j] = z;
        gates[gi + GN + j] = n;
        gates[gi + HN + j] = hn;
        hN[ob + j] = h;
        out[oi + j] = h;
      }
    }
  }
  scratch.release();
};

const gruBackwardJs: Kernels['gruBackward'] = function gruBackwardJs(
  T,
  B,
  E,
  H,
  x,
  wIh,
  wHh,
  h0,
  lengths,
  reverse,
  out,
  gates,
  dOut,
  dhN,
  dx,
  _V,
  tokens,
  paddingIdx,
  dEmbedding,
  dh0,
  dWih,
  dWhh,
  dbIh,
  dbHh,
) {
  const G = GRU.gates * H;
  const S = GRU.saved * H;
  // Gate blocks: reset, update, new; saved rows add W_hn h + b_hn after them.
  const GR = GRU.r * H;
  const GZ = GRU.z * H;
  const GN = GRU.n * H;
  const HN = GRU.gates * H;
  // Pre-activation gradients of the input part (dr, dz, dn) and of the recurrent part
  // (dr, dz, r ⊙ dn): they differ only in the n block.
  // Every row is written when all samples run all T steps: then no zero fill.
  const dGx = gradientPool.take(T * B * G, lengths !== null);
  const dGh = gradientPool.take(T * B * G, lengths !== null);
  const dh = new Float32Array(B * H);
  if (dhN) dh.set(dhN.subarray(0, B * H));
  const dgStep = new Float32Array(B * G);
  const wHhPacked = packStepWeightsBackward(B, G, H, wHh);
  for (let s = T - 1; s >= 0; s--) {
    for (let b = 0; b < B; b++) {
      const len = lengths ? lengths[b]! : T;
      const t = timeAt(s, len, reverse);
      const hb = b * G;
      if (t < 0) {
        dgStep.fill(0, hb, hb + G);
        continue;
      }
      const gi = (t * B + b) * S;
      const oi = (t * B + b) * H;
      const ob = b * H;
      const pt = prevTime(t, len, reverse);
      const hPrev = pt < 0 ? h0 : out;
      const hpi = pt < 0 ? ob : (pt * B + b) * H;
      const xi = (t * B + b) * G;
      for (let j = 0; j < H; j++) {
        const d = dh[ob + j]! + (dOut ? dOut[oi + j]! : 0);
        const r = gates[gi + GR + j]!;
        const z = gates[gi + GZ + j]!;
        const n = gates[gi + GN + j]!;
        const hn = gates[gi + HN + j]!;
        const dN = d * (1 - z) * (1 - n * n);
        const dR = dN * hn * r * (1 - r);
        const dZ = d * (hPrev[hpi + j]! - n) * z * (1 - z);
        dGx[xi + GR + j] = dR;
        dGx[xi + GZ + j] = dZ;
        dGx[xi + GN + j] = dN;
        dgStep[hb + GR + j] = dR;
        dgStep[hb + GZ + j] = dZ;
        dgStep[hb + GN + j] = dN * r;
        // The direct path z ⊙ h; the recurrent product is added below.
        dh[ob + j] = d * z;
      }
      copyInto(dgStep, hb, dGh, xi, G);
    }
    stepProductBackward(B, G, H, dgStep, wHh, wHhPacked, dh);
  }
  if (dh0) for (let i = 0; i < B * H; i++) dh0[i]! += dh[i]!;
  sequenceGradients({ T, B, E, R: H, G, x, wIh, h0, out, lengths, reverse }, dGx, dGh, {
    kernel: 'gruBackward',
    dx,
    tokens,
    paddingIdx,
    dEmbedding,
    dWih,
    dWhh,
    dbIh,
    dbHh,
  });
  gradientPool.release(dGx);
  gradientPool.release(dGh);
};

registerKernel('gruForward', 'js', gruForwardJs);
registerKernel('gruBackward', 'js', gruBackwardJs);
