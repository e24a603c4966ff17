import { ValueError } from '../../tensor/errors.js';

/**
 * Limited-memory BFGS (Nocedal & Wright, "Numerical Optimization", algorithms 7.4 and 7.5) with
 * a backtracking Armijo line search, in float64: deterministic, for smooth convex objectives
 * such as an L2-regularised logistic loss.
 */

/** Writes ∇f(x) into `grad` and returns f(x). */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Most iterations (default 500). */
  maxIter?: number;
  /** Pairs (s, y) kept (default 10). */
  memory?: number;
  /** Converged when the largest |∂f/∂x_i| is at most this (default 1e-6). */
  gradTol?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  /** Objective evaluations, line-search trials included. */
  evaluations: number;
  /** 'gradient': converged; 'stalled': no step lowered f any more; 'iterations': maxIter reached. */
  reason: 'gradient' | 'stalled' | 'iterations';
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

const maxAbs = (a: Float64Array): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

/** The two-loop recursion: d = −H·g from the stored pairs (newest last). */
function direction(g: Float64Array, s: Float64Array[], y: Float64Array[], rho: number[]): Float64Array {
  const q = Float64Array.from(g);
  const alpha: number[] = [];
  for (let k = s.length - 1; k >= 0; k--) {
    const a = rho[k]! * dot(s[k]!, q);
    alpha[k] = a;
    for (let i = 0; i < q.length; i++) q[i]! -= a * y[k]![i]!;
  }
  const last = s.length - 1;
  const gamma = last >= 0 ? dot(s[last]!, y[last]!) / dot(y[last]!, y[last]!) : 1 / Math.max(maxAbs(g), 1);
  for (let i = 0; i < q.length; i++) q[i]! *= gamma;
  for (let k = 0; k < s.length; k++) {
    const b = rho[k]! * dot(y[k]!, q);
    for (let i = 0; i < q.length; i++) q[i]! += s[k]![i]! * (alpha[k]! - b);
  }
  for (let i = 0; i < q.length; i++) q[i] = -q[i]!;
  return q;
}

/** Minimises `f` from `x0` (not modified). */
export function minimizeLbfgs(f: Objective, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const { maxIter = 500, memory = 10, gradTol = 1e-6 } = options;
  if (!Number.isInteger(maxIter) || maxIter < 0)
    throw new ValueError(`minimizeLbfgs: maxIter must be an integer ≥ 0, got ${maxIter}`);
  if (!Number.isInteger(memory) || memory < 1)
    throw new ValueError(`minimizeLbfgs: memory must be a positive integer, got ${memory}`);
  if (!(gradTol >= 0)) throw new ValueError(`minimizeLbfgs: gradTol must be a number ≥ 0, got ${gradTol}`);
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  let evaluations = 1;
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  for (let it = 0; it < maxIter; it++) {
    if (maxAbs(g) <= gradTol) return { x, value: fx, iterations: it, evaluations, reason: 'gradient' };
    const d = direction(g, s, y, rho);
    const slope = dot(g, d);
    const xNew = new Float64Array(n);
    const gNew = new Float64Array(n);
    let step = 1;
    let fNew = Number.POSITIVE_INFINITY;
    // Backtrack until the Armijo condition f(x + t·d) ≤ f(x) + 1e-4·t·gᵀd holds.
    for (let trial = 0; trial < 60; trial++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      fNew = f(xNew, gNew);
      evaluations++;
      if (fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew < fx)) return { x, value: fx, iterations: it, evaluations, reason: 'stalled' };
    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sk[i] = xNew[i]! - x[i]!;
      yk[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(sk, yk);
    // A pair without positive curvature would spoil the inverse-Hessian estimate: skip it.
    if (sy > 1e-12 * Math.sqrt(dot(sk, sk) * dot(yk, yk))) {
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
      if (s.length > memory) {
        s.shift();
        y.shift();
        rho.shift();
      }
    }
    x = xNew;
    g = gNew;
    fx = fNew;
  }
  const reason = maxAbs(g) <= gradTol ? 'gradient' : 'iterations';
  return { x, value: fx, iterations: maxIter, evaluations, reason };
}
