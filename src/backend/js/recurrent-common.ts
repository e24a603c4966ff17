import '../js/gemm.js';
import type { PackedB } from '../js/gemm.js';
import { kernels } from '../registry.js';

/*
 * Pieces shared by the fused recurrent kernels (rnn.ts, lstm.ts, gru.ts).
 *
 * Sequences are time-major: element (t, b, k) of a (T, B, K) buffer is at (t·B + b)·K + k.
 * With per-sample lengths (right-padded input), sample b is active at step s < len[b] and then
 * reads time t = s (forward) or t = len[b] − 1 − s (reverse), as PyTorch's packed sequences.
 */

/** Time index of sample `b` at step `s`, or −1 when the sample has finished. */
export function timeAt(s: number, len: number, reverse: boolean): number {
  if (s >= len) return -1;
  return reverse ? len - 1 - s : s;
}

/** Time index of the step before `t` in the direction of travel, or −1 at the sample's first step. */
export function prevTime(t: number, len: number, reverse: boolean): number {
  if (reverse) return t + 1 < len ? t + 1 : -1;
  return t - 1;
}

/**
 * The input projection of the whole sequence as one product:
 * out[r, 0:G] = x[r] · W_ihᵀ + bias for the T·B rows r (row stride ldo ≥ G).
 * x: (T·B, E), wIh: (G, E), bias: (G) or null.
 */
export function inputProjection(
  rows: number,
  G: number,
  E: number,
  x: Float32Array,
  wIh: Float32Array,
  bias: Float32Array | null,
  out: Float32Array,
  ldo: number,
): void {
  if (bias) for (let r = 0; r < rows; r++) out.set(bias, r * ldo);
  kernels.gemm(false, true, rows, G, E, x, 0, E, wIh, 0, E, out, 0, ldo, bias !== null);
}

/** b_ih + b_hh over the first `nHh` entries of b_hh (GRU keeps b_hn for the reset product). */
export function combinedBias(
  G: number,
  bIh: Float32Array | null,
  bHh: Float32Array | null,
  nHh: number,
): Float32Array | null {
  if (!bIh && !bHh) return null;
  const bias = new Float32Array(G);
  if (bIh) bias.set(bIh.subarray(0, G));
  if (bHh) for (let j = 0; j < nHh; j++) bias[j]! += bHh[j]!;
  return bias;
}

/** dst[j] += Σ_r src[r·ld + j] for j < cols (bias gradients). */
export function columnSumInto(
  rows: number,
  cols: number,
  src: Float32Array,
  ld: number,
  dst: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * ld;
    for (let j = 0; j < cols; j++) dst[j]! += src[o + j]!;
  }
}

/** dst[dstOff + j] = src[srcOff + j] for j < n, without allocating the view that `subarray` would. */
export function copyInto(
  src: Float32Array,
  srcOff: number,
  dst: Float32Array,
  dstOff: number,
  n: number,
): void {
  for (let j = 0; j < n; j++) dst[dstOff + j] = src[srcOff + j]!;
}

/**
 * The state each (t, b) started from, as a (T·B, K) matrix for the dW_hh product: h0[b] at the
 * sample's first step, else the output of the previous step; zero past the sample's length.
 */
export function previousStates(
  T: number,
  B: number,
  K: number,
  h0: Float32Array,
  out: Float32Array,
  lengths: Int32Array | null,
  reverse: boolean,
): Float32Array {
  const prev = new Float32Array(T * B * K);
  for (let b = 0; b < B; b++) {
    const len = lengths ? lengths[b]! : T;
    for (let t = 0; t < len; t++) {
      const p = prevTime(t, len, reverse);
      const src = p < 0 ? b * K : (p * B + b) * K;
      copyInto(p < 0 ? h0 : out, src, prev, (t * B + b) * K, K);
    }
  }
  return prev;
}

/**
 * The whole-sequence half of BPTT, after the reverse time loop, shared by every cell: the input
 * gradient and the weight gradients as matrix products over all T·B rows, biases as column sums.
 * dGx: (T·B, G) gradient of the input pre-activations; dGh: (T·B, G) of the recurrent ones (the
 * same array unless the cell splits them, as GRU's candidate gate does). R is the state size.
 */
export function sequenceGradients(
  T: number,
  B: number,
  E: number,
  R: number,
  G: number,
  x: Float32Array,
  wIh: Float32Array,
  h0: Float32Array,
  out: Float32Array,
  lengths: Int32Array | null,
  reverse: boolean,
  dGx: Float32Array,
  dGh: Float32Array,
  dx: Float32Array | null,
  dWih: Float32Array | null,
  dWhh: Float32Array | null,
  dbIh: Float32Array | null,
  dbHh: Float32Array | null,
): void {
  const rows = T * B;
  if (dx) kernels.gemm(false, false, rows, E, G, dGx, 0, G, wIh, 0, E, dx, 0, E, true);
  if (dWih) kernels.gemm(true, false, G, E, rows, dGx, 0, G, x, 0, E, dWih, 0, E, true);
  if (dWhh) {
    const prev = previousStates(T, B, R, h0, out, lengths, reverse);
    kernels.gemm(true, false, G, R, rows, dGh, 0, G, prev, 0, R, dWhh, 0, R, true);
  }
  if (dbIh) columnSumInto(rows, G, dGx, G, dbIh);
  if (dbHh) columnSumInto(rows, G, dGh, G, dbHh);
}

/** Zeroes out[t, b, :] for every t ≥ len[b] (outputs past a sample's end are 0). */
export function zeroPadding(T: number, B: number, K: number, lengths: Int32Array, out: Float32Array): void {
  for (let b = 0; b < B; b++) {
    for (let t = lengths[b]!; t < T; t++) out.fill(0, (t * B + b) * K, (t * B + b + 1) * K);
  }
}

/**
 * Up to this batch size the per-step products run as plain dot products / axpys; above it they run
 * as GEMMs against W packed once per sequence, which is faster from two rows on.
 */
const DIRECT_MAX_BATCH = 1;

/** W (G, R) packed as the right-hand side Wᵀ of {@link stepProduct}, or null for a small batch. */
export function packStepWeights(B: number, G: number, R: number, w: Float32Array): PackedB | null {
  return B > DIRECT_MAX_BATCH ? kernels.gemmPackB(true, R, G, w, 0, R) : null;
}

/** W (G, R) packed as the right-hand side of {@link stepProductBackward}, or null for a small batch. */
export function packStepWeightsBackward(B: number, G: number, R: number, w: Float32Array): PackedB | null {
  return B > DIRECT_MAX_BATCH ? kernels.gemmPackB(false, G, R, w, 0, R) : null;
}

/**
 * out (B, G) = h (B, R) · Wᵀ with W: (G, R) — the recurrent product of one step.
 * `packed` is {@link packStepWeights}(B, G, R, w).
 */
export function stepProduct(
  B: number,
  G: number,
  R: number,
  h: Float32Array,
  w: Float32Array,
  packed: PackedB | null,
  out: Float32Array,
): void {
  if (packed) {
    kernels.gemmPacked(false, B, G, R, h, 0, R, packed, out, 0, G, false);
    return;
  }
  for (let b = 0; b < B; b++) {
    const hb = b * R;
    const ob = b * G;
    for (let g = 0; g < G; g++) {
      const wg = g * R;
      let s0 = 0;
      let s1 = 0;
      let k = 0;
      for (; k + 1 < R; k += 2) {
        s0 += h[hb + k]! * w[wg + k]!;
        s1 += h[hb + k + 1]! * w[wg + k + 1]!;
      }
      if (k < R) s0 += h[hb + k]! * w[wg + k]!;
      out[ob + g] = s0 + s1;
    }
  }
}

/**
 * dh (B, R) += d (B, G) · W with W: (G, R) — a step's gradient through the recurrent product.
 * `packed` is {@link packStepWeightsBackward}(B, G, R, w).
 */
export function stepProductBackward(
  B: number,
  G: number,
  R: number,
  d: Float32Array,
  w: Float32Array,
  packed: PackedB | null,
  dh: Float32Array,
): void {
  if (packed) {
    kernels.gemmPacked(false, B, R, G, d, 0, G, packed, dh, 0, R, true);
    return;
  }
  for (let b = 0; b < B; b++) {
    const hb = b * R;
    const db = b * G;
    for (let g = 0; g < G; g++) {
      const v = d[db + g]!;
      if (v === 0) continue;
      const wg = g * R;
      for (let k = 0; k < R; k++) dh[hb + k]! += v * w[wg + k]!;
    }
  }
}

/**
 * 1/(1 + e^(−v)). Branch-free (a gate's sign is a coin flip for the branch predictor): in doubles
 * e^(−v) overflows to Infinity only for v < −709, where 1/(1 + Infinity) = 0 is the right answer.
 */
export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}
