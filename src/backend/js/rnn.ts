import { gradientPool } from '../../tensor/pool.js';
import '../js/gemm.js';
import { type Kernels, registerKernel } from '../registry.js';
import {
  combinedBias,
  copyInto,
  inputProjection,
  packStepWeights,
  packStepWeightsBackward,
  sequenceGradients,
  stepProduct,
  stepProductBackward,
  tanh,
  timeAt,
  zeroPadding,
} from './recurrent-common.js';

/*
 * Fused Elman RNN over a whole sequence, one layer and one direction:
 *   h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh),  act = tanh or relu
 *
 * x: (T, B, E)  wIh: (H, E)  wHh: (H, H)  bIh, bHh: (H)
 * h0: (B, H)  lengths: (B) with 0 ≤ len ≤ T, or null for all T
 * out: (T, B, H)  hN: (B, H)
 * The output is also what backward needs (act′ is a function of act's value), so there is no
 * separate saved buffer: the input projection is computed into `out` and activated in place.
 */

const rnnForwardJs: Kernels['rnnForward'] = function rnnForwardJs(
  T,
  B,
  E,
  H,
  relu,
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
) {
  inputProjection(T, B, H, E, x, wIh, combinedBias(H, bIh, bHh, H), lengths, out, H);
  hN.set(h0.subarray(0, B * H));
  const hw = new Float32Array(B * H);
  const wHhPacked = packStepWeights(B, H, H, wHh);
  for (let s = 0; s < T; s++) {
    stepProduct(B, H, H, hN, wHh, wHhPacked, hw);
    for (let b = 0; b < B; b++) {
      const t = timeAt(s, lengths ? lengths[b]! : T, reverse);
      if (t < 0) continue;
      const oi = (t * B + b) * H;
      const ob = b * H;
      if (relu) {
        for (let j = 0; j < H; j++) {
          const v = out[oi + j]! + hw[ob + j]!;
          const h = Math.max(v, 0); // NaN stays NaN, as in PyTorch
          out[oi + j] = h;
          hN[ob + j] = h;
        }
      } else {
        for (let j = 0; j < H; j++) {
          const h = tanh(out[oi + j]! + hw[ob + j]!);
          out[oi + j] = h;
          hN[ob + j] = h;
        }
      }
    }
  }
  if (lengths) zeroPadding(T, B, H, lengths, out);
};

const rnnBackwardJs: Kernels['rnnBackward'] = function rnnBackwardJs(
  T,
  B,
  E,
  H,
  relu,
  x,
  wIh,
  wHh,
  h0,
  lengths,
  reverse,
  out,
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
  // Pre-activation gradients, whole sequence; every row is written when all samples run all T steps.
  const dPre = gradientPool.take(T * B * H, lengths !== null);
  const dh = new Float32Array(B * H);
  if (dhN) dh.set(dhN.subarray(0, B * H));
  const dStep = new Float32Array(B * H);
  const wHhPacked = packStepWeightsBackward(B, H, H, wHh);
  for (let s = T - 1; s >= 0; s--) {
    for (let b = 0; b < B; b++) {
      const t = timeAt(s, lengths ? lengths[b]! : T, reverse);
      const ob = b * H;
      if (t < 0) {
        dStep.fill(0, ob, ob + H);
        continue;
      }
      const oi = (t * B + b) * H;
      for (let j = 0; j < H; j++) {
        const d = dh[ob + j]! + (dOut ? dOut[oi + j]! : 0);
        const y = out[oi + j]!;
        dStep[ob + j] = relu ? (y > 0 ? d : 0) : d * (1 - y * y);
      }
      copyInto(dStep, ob, dPre, oi, H);
      dh.fill(0, ob, ob + H);
    }
    stepProductBackward(B, H, H, dStep, wHh, wHhPacked, dh);
  }
  if (dh0) for (let i = 0; i < B * H; i++) dh0[i]! += dh[i]!;
  sequenceGradients({ T, B, E, R: H, G: H, x, wIh, h0, out, lengths, reverse }, dPre, dPre, {
    kernel: 'rnnBackward',
    dx,
    tokens,
    paddingIdx,
    dEmbedding,
    dWih,
    dWhh,
    dbIh,
    dbHh,
  });
  gradientPool.release(dPre);
};

registerKernel('rnnForward', 'js', rnnForwardJs);
registerKernel('rnnBackward', 'js', rnnBackwardJs);
