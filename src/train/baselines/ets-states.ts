import { solveSymmetric } from '../../data/least-squares.js';
import { type EtsParams, type EtsSpec, etsFilter } from './ets.js';
import { dot } from './optimize.js';

/**
 * The optimiser's view of exponential smoothing's parameters, and the initial states that
 * minimise the squared one-step errors of an additive model for fixed smoothing parameters.
 */

/** Smoothing parameters in optimiser order: α, β (trend), u = γ/(1−α) (season), φ (damped). */
export function thetaNames(spec: EtsSpec): string[] {
  return [
    'alpha',
    ...(spec.trend !== 'none' ? ['beta'] : []),
    ...(spec.season !== 'none' ? ['gamma'] : []),
    ...(spec.trend === 'damped' ? ['phi'] : []),
  ];
}

/** Free initial states: level, slope (trend), the first m − 1 seasonals (season). */
export function stateCount(spec: EtsSpec): number {
  return 1 + (spec.trend !== 'none' ? 1 : 0) + (spec.season !== 'none' ? spec.period - 1 : 0);
}

export function toParams(spec: EtsSpec, theta: ArrayLike<number>, states: ArrayLike<number>): EtsParams {
  const names = thetaNames(spec);
  const get = (name: string, fallback: number): number => {
    const i = names.indexOf(name);
    return i < 0 ? fallback : theta[i]!;
  };
  const alpha = get('alpha', 0);
  const trended = spec.trend !== 'none';
  const seasonals: number[] = [];
  if (spec.season !== 'none') {
    const m = spec.period;
    let sum = 0;
    for (let j = 0; j < m - 1; j++) {
      seasonals.push(states[(trended ? 2 : 1) + j]!);
      sum += seasonals[j]!;
    }
    seasonals.push((spec.season === 'additive' ? 0 : m) - sum);
  }
  return {
    alpha,
    beta: get('beta', 0),
    gamma: get('gamma', 0) * (1 - alpha),
    phi: get('phi', 1),
    level: states[0]!,
    slope: trended ? states[1]! : 0,
    seasonals,
  };
}

/**
 * Σ_u a[u]·b[u + lag] over u < n − lag − q for q = 0 … qMax (n = b.length): the product of a
 * series delayed by `lag + q` rows with b, for every delay at once in one pass.
 */
function delayedDots(a: Float64Array, b: Float64Array, lag: number, qMax: number): Float64Array {
  const n = b.length;
  const out = new Float64Array(qMax + 1);
  let s = 0;
  let u = 0;
  for (let q = qMax; q >= 0; q--) {
    const end = n - lag - q;
    for (; u < end; u++) s += a[u]! * b[u + lag]!;
    out[q] = s;
  }
  return out;
}

/**
 * The normal equations AᵀA, Aᵀe₀ of an additive Holt–Winters model's states. The filter is
 * time-invariant with its seasonal ring, so the errors of a unit seasonal state k are those of
 * unit state 0 delayed by k rows (r₀), and state j < m − 1 (the last seasonal is minus the sum
 * of the others) is r_j − r_{m−1}: one filter run and m lagged products replace m − 1 runs and
 * m² products of full length.
 */
function seasonalEquations(
  r0: Float64Array,
  others: Float64Array[],
  e0: Float64Array,
  m: number,
  a: Float64Array,
  b: Float64Array,
): void {
  const d = others.length + m - 1;
  const off = others.length;
  // g[j][k] = r_j · r_k: r₀ against itself at lag |j − k| over n − max(j, k) rows.
  const g = new Float64Array(m * m);
  for (let lag = 0; lag < m; lag++) {
    const sums = delayedDots(r0, r0, lag, m - 1 - lag);
    for (let q = 0; q < m - lag; q++) g[q * m + q + lag] = g[(q + lag) * m + q] = sums[q]!;
  }
  // x[j] = r_j · v for the other columns and e₀.
  const cross = (v: Float64Array) => {
    const x = new Float64Array(m);
    for (let j = 0; j < m; j++) x[j] = delayedDots(r0, v, j, 0)[0]!;
    return x;
  };
  const last = m - 1;
  const xe = cross(e0);
  for (let j = 0; j < last; j++) {
    b[off + j] = xe[j]! - xe[last]!;
    for (let k = 0; k <= j; k++) {
      const v = g[j * m + k]! - g[j * m + last]! - g[last * m + k]! + g[last * m + last]!;
      a[(off + j) * d + off + k] = a[(off + k) * d + off + j] = v;
    }
  }
  others.forEach((col, i) => {
    const x = cross(col);
    b[i] = dot(col, e0);
    for (let j = 0; j < last; j++) a[(off + j) * d + i] = a[i * d + off + j] = x[j]! - x[last]!;
    for (let k = 0; k <= i; k++) a[i * d + k] = a[k * d + i] = dot(col, others[k]!);
  });
}

/**
 * For fixed smoothing parameters, the initial states that minimise the SSE (additive models):
 * the one-step errors are e = e₀ + C x in the states x, with e₀ the errors from zero states
 * and column j of C the errors of unit state j on an all-zero series.
 */
export function profiler(
  spec: EtsSpec,
  y: Float64Array,
): (theta: ArrayLike<number>) => Float64Array | undefined {
  const n = y.length;
  const d = stateCount(spec);
  const seasonal = spec.season === 'additive';
  const plain = seasonal ? d - (spec.period - 1) : d;
  const zeros = new Float64Array(n);
  const e0 = new Float64Array(n);
  const cols = Array.from({ length: plain }, () => new Float64Array(n));
  const r0 = new Float64Array(seasonal ? n : 0);
  const a = new Float64Array(d * d);
  const b = new Float64Array(d);
  return (theta) => {
    const at = (states: Float64Array) => toParams(spec, theta, states);
    etsFilter(spec, at(new Float64Array(d)), y, e0);
    for (let t = 0; t < n; t++) e0[t] = y[t]! - e0[t]!;
    for (let j = 0; j < plain; j++) {
      const unit = new Float64Array(d);
      unit[j] = 1;
      etsFilter(spec, at(unit), zeros, cols[j]);
    }
    if (seasonal) {
      const ring = new Array<number>(spec.period).fill(0);
      ring[0] = 1;
      etsFilter(spec, { ...at(new Float64Array(d)), seasonals: ring }, zeros, r0);
      seasonalEquations(r0, cols, e0, spec.period, a, b);
    } else {
      for (let i = 0; i < d; i++) {
        b[i] = dot(cols[i]!, e0);
        for (let j = 0; j <= i; j++) a[i * d + j] = a[j * d + i] = dot(cols[i]!, cols[j]!);
      }
    }
    return solveSymmetric(a, b, d);
  };
}
