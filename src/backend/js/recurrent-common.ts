import { gradientPool, savedStatePool } from '../../tensor/pool.js';
import '../js/gemm.js';
import type { PackedB } from '../contract-spec.js';
import { kernels } from '../registry.js';

/*
 * Pieces shared by the fused recurrent kernels (rnn.ts, lstm.ts, gru.ts).
 *
 * Sequences are time-major: element (t, b, k) of a (T, B, K) buffer is at (t·B + b)·K + k.
 * With per-sample lengths (right-padded input), sample b is active at step s < len[b] and then
 * reads time t = s (forward) or t = len[b] − 1 − s (reverse), as PyTorch's packed sequences.
 */

/**
 * Room for the state a forward kernel saves for BPTT when its caller passed null (no backward will
 * run): buffers of the saved-state pool, handed back by release() once the kernel is done. The
 * forward writes every saved row before it reads it, so they need no zero fill.
 */
export class SavedScratch {
  private readonly taken: Float32Array[] = [];

  /** `saved` itself, or scratch of n elements when it is null. */
  or(saved: Float32Array | null, n: number): Float32Array {
    if (saved) return saved;
    const b = savedStatePool.take(n, false);
    this.taken.push(b);
    return b;
  }

  release(): void {
    for (const b of this.taken) savedStatePool.release(b);
    this.taken.length = 0;
  }
}

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
 * The input projection of the whole sequence as one product over the T·B rows (row stride
 * ldo ≥ G): out[t·B + b, 0:G] = x[t·B + b] · W_ihᵀ + bias. Past a sample's length (t ≥ len[b])
 * the row is x · W_ihᵀ without the bias, as the native kernels leave it; backward never reads it.
 * x: (T·B, E), wIh: (G, E), bias: (G) or null, lengths: (B) or null for all T.
 */
export function inputProjection(
  T: number,
  B: number,
  G: number,
  E: number,
  x: Float32Array,
  wIh: Float32Array,
  bias: Float32Array | null,
  lengths: Int32Array | null,
  out: Float32Array,
  ldo: number,
): void {
  if (bias) {
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const r = (t * B + b) * ldo;
        if (lengths === null || t < lengths[b]!) out.set(bias, r);
        else out.fill(0, r, r + G);
      }
    }
  }
  kernels.gemm(false, true, T * B, G, E, x, 0, E, wIh, 0, E, out, 0, ldo, bias !== null);
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

/** Σ_r src[r·ld + j] for j < cols, summed in doubles (bias gradients over T·B rows). */
function columnSums(rows: number, cols: number, src: Float32Array, ld: number): Float64Array {
  const sums = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * ld;
    for (let j = 0; j < cols; j++) sums[j]! += src[o + j]!;
  }
  return sums;
}

/** dst[j] += sums[j]. */
function addInto(sums: Float64Array, dst: Float32Array): void {
  for (let j = 0; j < sums.length; j++) dst[j]! += sums[j]!;
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
 * Taken from the gradient pool: the caller releases it.
 */
function previousStates(
  T: number,
  B: number,
  K: number,
  h0: Float32Array,
  out: Float32Array,
  lengths: Int32Array | null,
  reverse: boolean,
): Float32Array {
  const prev = gradientPool.take(T * B * K);
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

/** A whole sequence's forward, as BPTT's whole-sequence half reads it (R: the state size). */
export interface SequenceForward {
  readonly T: number;
  readonly B: number;
  readonly E: number;
  readonly R: number;
  readonly G: number;
  readonly x: Float32Array;
  readonly wIh: Float32Array;
  readonly h0: Float32Array;
  readonly out: Float32Array;
  readonly lengths: Int32Array | null;
  readonly reverse: boolean;
}

/** Where a backward kernel adds its input and weight gradients (the contract's names; null: not wanted). */
export interface InputGradients {
  /** The kernel's name, for its errors. */
  readonly kernel: string;
  readonly dx: Float32Array | null;
  readonly tokens: Int32Array | null;
  readonly paddingIdx: number;
  readonly dEmbedding: Float32Array | null;
  readonly dWih: Float32Array | null;
  readonly dWhh: Float32Array | null;
  readonly dbIh: Float32Array | null;
  readonly dbHh: Float32Array | null;
}

/**
 * dEmbedding += the input gradient of each row, scattered by token as embeddingBackward scatters it
 * (the padding's rows skipped; rows past a sample's length have no gate gradient, so add nothing).
 * The reference forms dx = dGx·W_ih and scatters it; the native kernels sum per token first.
 */
function embeddingGradient(q: SequenceForward, dGx: Float32Array, sinks: InputGradients): void {
  const { kernel, tokens, paddingIdx, dEmbedding } = sinks;
  if (!tokens) throw new RangeError(`${kernel}: dEmbedding needs tokens (the embedding rows x is made of)`);
  const { E, G } = q;
  const rows = q.T * q.B;
  const dx = gradientPool.take(rows * E);
  kernels.gemm(false, false, rows, E, G, dGx, 0, G, q.wIh, 0, E, dx, 0, E, true);
  kernels.embeddingBackward(dx, E, tokens.subarray(0, rows), paddingIdx, dEmbedding!);
  gradientPool.release(dx);
}

/**
 * The whole-sequence half of BPTT, after the reverse time loop, shared by every cell: the input
 * gradient and the weight gradients as matrix products over all T·B rows, biases as column sums.
 * dGx: (T·B, G) gradient of the input pre-activations; dGh: (T·B, G) of the recurrent ones (the
 * same array unless the cell splits them, as GRU's candidate gate does). R is the state size.
 * An embedded input's gradient goes into dEmbedding by token.
 */
export function sequenceGradients(
  q: SequenceForward,
  dGx: Float32Array,
  dGh: Float32Array,
  sinks: InputGradients,
): void {
  const { T, B, E, R, G, x, wIh, h0, out, lengths, reverse } = q;
  const { dx, dWih, dWhh, dbIh, dbHh } = sinks;
  const rows = T * B;
  if (dx) kernels.gemm(false, false, rows, E, G, dGx, 0, G, wIh, 0, E, dx, 0, E, true);
  if (sinks.dEmbedding) embeddingGradient(q, dGx, sinks);
  if (dWih) kernels.gemm(true, false, G, E, rows, dGx, 0, G, x, 0, E, dWih, 0, E, true);
  if (dWhh && lengths === null) {
    // Every sample runs all T steps, so the states before steps 1…T−1 (in the direction of
    // travel) are T−1 consecutive row blocks of out, and h0 precedes the first step: two products
    // instead of gathering a (T·B, R) copy.
    const first = reverse ? T - 1 : 0;
    if (T > 1) {
      const dOff = (reverse ? 0 : B) * G;
      const hOff = (reverse ? B : 0) * R;
      kernels.gemm(true, false, G, R, rows - B, dGh, dOff, G, out, hOff, R, dWhh, 0, R, true);
    }
    if (T > 0) kernels.gemm(true, false, G, R, B, dGh, first * B * G, G, h0, 0, R, dWhh, 0, R, true);
  } else if (dWhh) {
    const prev = previousStates(T, B, R, h0, out, lengths, reverse);
    kernels.gemm(true, false, G, R, rows, dGh, 0, G, prev, 0, R, dWhh, 0, R, true);
    gradientPool.release(prev);
  }
  const sumsX = dbIh || (dbHh && dGh === dGx) ? columnSums(rows, G, dGx, G) : null;
  if (dbIh) addInto(sumsX!, dbIh);
  if (dbHh) addInto(dGh === dGx ? sumsX! : columnSums(rows, G, dGh, G), dbHh);
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

/*
 * e^x for the gate nonlinearities, about three times faster than Math.exp and Math.tanh's calls
 * into the C library, to ~1e-14 relative (float32 needs 6e-8): x = (32k' + j)·ln2/32 + r with
 * |r| ≤ ln2/64, e^x = 2^k' · 2^(j/32) · e^r, e^r a degree-5 polynomial (next term r⁶/720 < 3e-15).
 * Rounding to the nearest integer adds and subtracts 1.5·2^52; x is clamped to where doubles
 * stay finite, so the table indices stay in range (NaN passes through the polynomial).
 */
const EXP_MAX = 709.7;
const EXP_MIN = -745;
const ROUND = 6755399441055744;
const N_OVER_LN2 = 32 / Math.LN2;
// ln2/32 split so k·hi is exact for every k in range and hi + lo carries ln2/32 to double precision.
const LN2_N_HI = Math.fround(Math.LN2 / 32);
const LN2_N_LO = Math.LN2 / 32 - LN2_N_HI;
/** 2^(j/32), j < 32. */
const EXP_FRACTION = new Float64Array(32).map((_, j) => 2 ** (j / 32));
/** 2^(e − EXP_BIAS) for the exponents the clamped range reaches. */
const EXP_BIAS = 1100;
const EXP_POWER = new Float64Array(2 * EXP_BIAS).map((_, e) => 2 ** (e - EXP_BIAS));

/**
 * e^x − 1, written as s − 1 + s·(e^r − 1) with s = 2^(k/32): at k = 0 (|x| < ln2/64) s is exactly 1,
 * so tanh's small arguments keep their relative precision; elsewhere |s − 1| ≥ 0.02 cancels little.
 */
function expm1(v: number): number {
  // Branches, not Math.min/max: never taken on gate values, so they predict perfectly.
  let x = v;
  if (x < EXP_MIN) x = EXP_MIN;
  if (x > EXP_MAX) x = EXP_MAX;
  const k = x * N_OVER_LN2 + ROUND - ROUND;
  const r = x - k * LN2_N_HI - k * LN2_N_LO;
  const r2 = r * r;
  const pm1 = r + r2 * (0.5 + r * (1 / 6) + r2 * (1 / 24 + r * (1 / 120)));
  const ki = k | 0;
  const s = EXP_POWER[(ki >> 5) + EXP_BIAS]! * EXP_FRACTION[ki & 31]!;
  return s - 1 + s * pm1;
}

/** 1/(1 + e^(−v)); e^(−v) saturates at e^709.7 for v < −709.7, where the answer rounds to 0 in float32 anyway. */
export function sigmoid(v: number): number {
  return 1 / (2 + expm1(-v));
}

/** tanh(v) = (e^(2v) − 1)/(e^(2v) + 1), to ~2e-13 relative (Math.tanh's precision is not needed in float32). */
export function tanh(v: number): number {
  const em1 = expm1(2 * v);
  return em1 / (em1 + 2);
}
