/**
 * Small dense least squares in float64 for the statistics of forecasting (unit-root
 * regressions, initial states of exponential smoothing). Sizes are a few dozen unknowns,
 * so normal equations with a Cholesky factorisation are accurate enough and fast.
 */

/**
 * Cholesky factor of the symmetric d×d matrix `a` (row-major), in place (lower triangle).
 * Returns false when `a` is not positive definite.
 */
function cholesky(a: Float64Array, d: number): boolean {
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j]!;
    for (let k = 0; k < j; k++) s -= a[j * d + k]! ** 2;
    if (!(s > 0)) return false;
    const l = Math.sqrt(s);
    a[j * d + j] = l;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j]!;
      for (let k = 0; k < j; k++) t -= a[i * d + k]! * a[j * d + k]!;
      a[i * d + j] = t / l;
    }
  }
  return true;
}

/** Solves L Lᵀ x = b for the factor `l` made by `cholesky`. */
function choleskySolve(l: Float64Array, d: number, b: Float64Array): Float64Array {
  const x = Float64Array.from(b);
  for (let i = 0; i < d; i++) {
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= l[i * d + k]! * x[k]!;
    x[i] = s / l[i * d + i]!;
  }
  for (let i = d - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < d; k++) s -= l[k * d + i]! * x[k]!;
    x[i] = s / l[i * d + i]!;
  }
  return x;
}

/**
 * Solves the symmetric positive semi-definite system A x = b (A is d×d row-major). A singular
 * A (unidentified directions) gets a ridge of 1e-10 × its mean diagonal, which picks a
 * near-minimum-norm solution instead of failing. Returns undefined when even that fails.
 */
export function solveSymmetric(a: Float64Array, b: Float64Array, d: number): Float64Array | undefined {
  let trace = 0;
  for (let i = 0; i < d; i++) trace += a[i * d + i]!;
  for (const ridge of [0, 1e-10, 1e-6]) {
    const l = Float64Array.from(a);
    for (let i = 0; i < d; i++) l[i * d + i]! += (ridge * trace) / d;
    if (cholesky(l, d)) return choleskySolve(l, d, b);
  }
  return undefined;
}

/** Ordinary least squares y ≈ X β with the standard errors of β (X is n×k row-major). */
export interface OlsFit {
  coef: Float64Array;
  stderr: Float64Array;
  residualVariance: number;
}

/** Fits y ≈ Xβ; undefined when X has fewer rows than columns + 1 or is rank deficient. */
export function ols(x: Float64Array, y: Float64Array, k: number): OlsFit | undefined {
  const n = y.length;
  if (n <= k) return undefined;
  const xtx = new Float64Array(k * k);
  const xty = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < k; i++) {
      const xi = x[r * k + i]!;
      xty[i]! += xi * y[r]!;
      for (let j = 0; j <= i; j++) xtx[i * k + j]! += xi * x[r * k + j]!;
    }
  }
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) xtx[j * k + i] = xtx[i * k + j]!;
  const l = Float64Array.from(xtx);
  if (!cholesky(l, k)) return undefined;
  const coef = choleskySolve(l, k, xty);
  let rss = 0;
  for (let r = 0; r < n; r++) {
    let fit = 0;
    for (let i = 0; i < k; i++) fit += x[r * k + i]! * coef[i]!;
    rss += (y[r]! - fit) ** 2;
  }
  const residualVariance = rss / (n - k);
  const stderr = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const unit = new Float64Array(k);
    unit[i] = 1;
    stderr[i] = Math.sqrt(choleskySolve(l, k, unit)[i]! * residualVariance);
  }
  return { coef, stderr, residualVariance };
}
