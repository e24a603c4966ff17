import { solveSymmetric } from '../../data/least-squares.js';

/**
 * A bounded Nelder–Mead minimiser for the few smoothing parameters of exponential smoothing.
 * It works in the unit cube (each coordinate mapped linearly from [lower, upper]) and clamps
 * every trial point into it, as scipy's bounded Nelder–Mead does; the simplex is rebuilt
 * around the best point after convergence (`restarts`), which frees a simplex that
 * collapsed against a bound.
 */

export interface MinimizeOptions {
  /** Budget of objective evaluations over all restarts. Default 200 per dimension. */
  maxEvaluations?: number;
  /** Stop when the simplex values agree within this relative tolerance. Default 1e-10. */
  tolerance?: number;
  /** Fresh simplices built around the best point after convergence. Default 2. */
  restarts?: number;
  /** Initial simplex edge as a fraction of each box side. Default 0.1. */
  step?: number;
}

export interface MinimizeResult {
  x: Float64Array;
  value: number;
  evaluations: number;
}

type Objective = (x: Float64Array) => number;

export function minimizeBox(
  f: Objective,
  start: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  options: MinimizeOptions = {},
): MinimizeResult {
  const d = start.length;
  const width = Float64Array.from({ length: d }, (_, i) => upper[i]! - lower[i]!);
  const toBox = (u: Float64Array): Float64Array =>
    Float64Array.from(u, (v, i) => lower[i]! + Math.min(1, Math.max(0, v)) * width[i]!);
  let evaluations = 0;
  const g = (u: Float64Array): number => {
    evaluations++;
    const v = f(toBox(u));
    return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  };
  const budget = options.maxEvaluations ?? 200 * Math.max(1, d);
  const tol = options.tolerance ?? 1e-10;
  const step = options.step ?? 0.1;
  let best: Float64Array = Float64Array.from({ length: d }, (_, i) =>
    width[i]! > 0 ? Math.min(1, Math.max(0, (start[i]! - lower[i]!) / width[i]!)) : 0,
  );
  let bestValue = g(best);
  for (let round = 0; round <= (options.restarts ?? 2) && evaluations < budget; round++) {
    const run = nelderMead(g, best, step, tol, budget - evaluations, () => evaluations);
    if (run.value <= bestValue) {
      best = run.x;
      bestValue = run.value;
    }
  }
  return { x: toBox(best), value: bestValue, evaluations };
}

/** One Nelder–Mead run in the unit cube (coefficients 1, 2, ½, ½). */
function nelderMead(
  g: Objective,
  x0: Float64Array,
  step: number,
  tol: number,
  budget: number,
  used: () => number,
): { x: Float64Array; value: number } {
  const d = x0.length;
  const stop = used() + budget;
  const clamp = (u: Float64Array): Float64Array => u.map((v) => Math.min(1, Math.max(0, v)));
  const simplex: Float64Array[] = [Float64Array.from(x0)];
  for (let i = 0; i < d; i++) {
    const p = Float64Array.from(x0);
    p[i] = p[i]! + step <= 1 ? p[i]! + step : p[i]! - step;
    simplex.push(p);
  }
  let values = simplex.map(g);
  const along = (a: Float64Array, b: Float64Array, t: number): Float64Array =>
    clamp(a.map((v, i) => v + t * (b[i]! - v)));
  while (used() < stop) {
    const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
    const pts = order.map((i) => simplex[i]!);
    values = order.map((i) => values[i]!);
    simplex.splice(0, simplex.length, ...pts);
    const lo = values[0]!;
    const hi = values[d]!;
    if (Math.abs(hi - lo) <= tol * (Math.abs(lo) + 1e-300) || hi === lo) break;
    const centroid = new Float64Array(d);
    for (let j = 0; j < d; j++) for (let i = 0; i < d; i++) centroid[i]! += simplex[j]![i]! / d;
    const worst = simplex[d]!;
    const reflected = along(worst, centroid, 2);
    const fr = g(reflected);
    if (fr < lo) {
      const expanded = along(worst, centroid, 3);
      const fe = g(expanded);
      [simplex[d], values[d]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < values[d - 1]!) {
      [simplex[d], values[d]] = [reflected, fr];
    } else {
      const contracted = fr < hi ? along(worst, centroid, 1.5) : along(worst, centroid, 0.5);
      const fc = g(contracted);
      if (fc < Math.min(fr, hi)) {
        [simplex[d], values[d]] = [contracted, fc];
      } else {
        for (let j = 1; j <= d; j++) {
          simplex[j] = along(simplex[0]!, simplex[j]!, 0.5);
          values[j] = g(simplex[j]!);
        }
      }
    }
  }
  let k = 0;
  for (let j = 1; j < values.length; j++) if (values[j]! < values[k]!) k = j;
  return { x: simplex[k]!, value: values[k]! };
}

/**
 * Levenberg–Marquardt on a sum of squares ‖r(z)‖² with box bounds (±Infinity allowed): the
 * Jacobian by forward differences, every step projected into the box. `residuals` returns
 * undefined where the model is not defined (the step is then rejected).
 */
export function leastSquaresBox(
  residuals: (z: Float64Array) => Float64Array | undefined,
  start: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  options: { maxIterations?: number; tolerance?: number } = {},
): { x: Float64Array; value: number } {
  const p = start.length;
  const clamp = (z: Float64Array): Float64Array =>
    z.map((v, i) => Math.min(upper[i]!, Math.max(lower[i]!, v)));
  const sumSq = (r: Float64Array | undefined): number => {
    if (r === undefined) return Number.POSITIVE_INFINITY;
    let s = 0;
    for (let i = 0; i < r.length; i++) s += r[i]! ** 2;
    return Number.isFinite(s) ? s : Number.POSITIVE_INFINITY;
  };
  let z = clamp(Float64Array.from(start));
  let r = residuals(z);
  let value = sumSq(r);
  if (r === undefined || !Number.isFinite(value)) return { x: z, value };
  let lambda = 1e-3;
  const tol = options.tolerance ?? 1e-12;
  for (let iter = 0; iter < (options.maxIterations ?? 100) && lambda < 1e12; iter++) {
    const { jtj, jtr } = normalEquations(residuals, z, r!, lower, upper);
    let improved = false;
    while (!improved && lambda < 1e12) {
      const a = Float64Array.from(jtj);
      for (let i = 0; i < p; i++) a[i * p + i] = jtj[i * p + i]! * (1 + lambda) + 1e-12;
      const step = solveSymmetric(
        a,
        jtr.map((v) => -v),
        p,
      );
      const trial = step ? clamp(z.map((v, i) => v + step[i]!)) : z;
      const rt = step ? residuals(trial) : undefined;
      const vt = sumSq(rt);
      if (vt < value) {
        const gain = value - vt;
        [z, r, value] = [trial, rt!, vt];
        lambda = Math.max(lambda / 3, 1e-12);
        improved = true;
        if (gain <= tol * value) return { x: z, value };
      } else {
        lambda *= 4;
      }
    }
  }
  return { x: z, value };
}

/** JᵀJ and Jᵀr with J by forward differences (stepping inward at an upper bound). */
function normalEquations(
  residuals: (z: Float64Array) => Float64Array | undefined,
  z: Float64Array,
  r: Float64Array,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
): { jtj: Float64Array; jtr: Float64Array } {
  const p = z.length;
  const cols: Float64Array[] = [];
  for (let j = 0; j < p; j++) {
    let h = 1e-7 * Math.max(1, Math.abs(z[j]!));
    if (z[j]! + h > upper[j]!) h = -h;
    if (z[j]! + h < lower[j]!) h = 0;
    const zj = Float64Array.from(z);
    zj[j] = z[j]! + h;
    const rj = h === 0 ? undefined : residuals(zj);
    const col = new Float64Array(r.length);
    if (rj !== undefined) for (let i = 0; i < r.length; i++) col[i] = (rj[i]! - r[i]!) / h;
    cols.push(col);
  }
  return crossProducts(cols, r);
}

/** Rows per block of {@link crossProducts}: the block of every column stays in cache. */
const BLOCK_ROWS = 256;

/**
 * JᵀJ and Jᵀr of the columns `cols`, a block of rows at a time: each sum still runs over the
 * rows in order (the same result as a dot product per entry), but a long series' columns are
 * read from cache p times instead of from memory.
 */
function crossProducts(cols: Float64Array[], r: Float64Array): { jtj: Float64Array; jtr: Float64Array } {
  const p = cols.length;
  const n = r.length;
  const jtj = new Float64Array(p * p);
  const jtr = new Float64Array(p);
  for (let from = 0; from < n; from += BLOCK_ROWS) {
    const to = Math.min(n, from + BLOCK_ROWS);
    for (let i = 0; i < p; i++) {
      const a = cols[i]!;
      let s = jtr[i]!;
      for (let t = from; t < to; t++) s += a[t]! * r[t]!;
      jtr[i] = s;
      for (let j = 0; j <= i; j++) {
        const b = cols[j]!;
        let sij = jtj[i * p + j]!;
        for (let t = from; t < to; t++) sij += a[t]! * b[t]!;
        jtj[i * p + j] = sij;
      }
    }
  }
  for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) jtj[j * p + i] = jtj[i * p + j]!;
  return { jtj, jtr };
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
